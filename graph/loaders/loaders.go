// Package loaders batches the reads of GraphQL list fields: one loader set
// per request, put into the context by Middleware and read with For, each
// batch one `WHERE … IN (…)` query with results in key order.
package loaders

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
	"github.com/prioritysupport/backend/store"
)

// DefaultWait is how long a loader collects keys before it runs its batch.
const DefaultWait = 2 * time.Millisecond

type ctxKey struct{}

// Loaders are the per-request batch loaders.
type Loaders struct {
	CustomerByID                  *dataloadgen.Loader[string, *models.Customer]
	LicensesByCustomerID          *dataloadgen.Loader[string, []*models.License]
	SubscriptionsByCustomerID     *dataloadgen.Loader[string, []*models.SupportSubscription]
	DomainsBySubscriptionID       *dataloadgen.Loader[string, []string]
	StatusChangesBySubscriptionID *dataloadgen.Loader[string, []*models.SubscriptionStatusChange]
	SubscriptionByID              *dataloadgen.Loader[string, *models.SupportSubscription]
	MessagesByTicketID            *dataloadgen.Loader[string, []*models.Message]
	ClocksByTicketID              *dataloadgen.Loader[string, []*models.Clock]
	TicketByID                    *dataloadgen.Loader[string, *models.Ticket]
	BalanceByCustomerID           *dataloadgen.Loader[string, models.Money]
	SettlementsByCustomerID       *dataloadgen.Loader[string, []*models.Settlement]
	CreditByMonth                 *dataloadgen.Loader[billing.SubscriptionMonth, *models.CreditEntry]
	SLAHistory                    *dataloadgen.Loader[HistoryKey, []sla.MonthReport]
	SummaryByKey                  *dataloadgen.Loader[store.SummaryKey, *store.CustomerSummary]
	TicketsByOwner                *dataloadgen.Loader[TicketsKey, *store.TicketPage]
}

// TicketsKey asks for one page of the tickets of a customer or a
// subscription (Owner and ID) the caller has read; Search is the
// TicketsSearch, JSON-encoded so that the key is comparable: the keys of
// one list field share it and are read in one batch.
type TicketsKey struct {
	Owner  store.TicketOwner
	ID     string
	Search string
}

// TicketsSearch is what a page of TicketsKey asks for.
type TicketsSearch struct {
	Query store.TicketSearch
	Span  store.Span
	Reads store.TicketReads
}

// NewTicketsKey returns the key of a page of the tickets of owner id.
func NewTicketsKey(owner store.TicketOwner, id string, search TicketsSearch) TicketsKey {
	b, _ := json.Marshal(search)
	return TicketsKey{Owner: owner, ID: id, Search: string(b)}
}

// HistoryKey asks for the SLA history of a subscription the caller has
// read: its last Months months.
type HistoryKey struct {
	Subscription *models.SupportSubscription
	Months       int
}

// Sources are what the loaders read from.
type Sources struct {
	Store   *store.Store
	Ledger  *billing.Ledger
	Billing *billing.Service
}

// New returns a fresh loader set over src that collects keys for wait
// before each batch; its caches live as long as it does.
func New(src Sources, wait time.Duration) *Loaders {
	return build(src, dataloadgen.WithWait(wait))
}

// NewUncached is New without caches, for a websocket connection: it lives
// for hours, and each event must show the data as it is then.
func NewUncached(src Sources, wait time.Duration) *Loaders {
	return build(src, dataloadgen.WithWait(wait), dataloadgen.WithoutCache())
}

// build returns a loader set whose loaders share opts.
func build(src Sources, opts ...dataloadgen.Option) *Loaders {
	s := src.Store
	l := &Loaders{
		CustomerByID:                  dataloadgen.NewLoader(all(s.CustomersByIDs), opts...),
		LicensesByCustomerID:          dataloadgen.NewLoader(all(s.LicensesByCustomerIDs), opts...),
		SubscriptionsByCustomerID:     dataloadgen.NewLoader(all(s.SubscriptionsByCustomerIDs), opts...),
		DomainsBySubscriptionID:       dataloadgen.NewLoader(all(s.DomainsBySubscriptionIDs), opts...),
		StatusChangesBySubscriptionID: dataloadgen.NewLoader(all(s.StatusChangesBySubscriptionIDs), opts...),
		SubscriptionByID:              dataloadgen.NewLoader(all(s.SubscriptionsByIDs), opts...),
		MessagesByTicketID:            dataloadgen.NewLoader(all(s.MessagesByTicketIDs), opts...),
		ClocksByTicketID:              dataloadgen.NewLoader(all(s.ClocksByTicketIDs), opts...),
		TicketByID:                    dataloadgen.NewLoader(all(s.TicketsByIDs), opts...),
		BalanceByCustomerID:           dataloadgen.NewLoader(all(src.Ledger.BalancesByCustomerIDs), opts...),
		SettlementsByCustomerID:       dataloadgen.NewLoader(all(src.Billing.SettlementsByCustomerIDs), opts...),
		CreditByMonth:                 dataloadgen.NewLoader(all(src.Ledger.EarnedByMonths), opts...),
		SLAHistory:                    dataloadgen.NewLoader(histories(s), opts...),
		SummaryByKey:                  dataloadgen.NewLoader(all(s.CustomerSummaries), opts...),
	}
	l.TicketsByOwner = dataloadgen.NewLoader(l.ticketPages(s), opts...)
	return l
}

// ticketPages batches ticket pages: one store call per owner kind and
// search (a fixed number of queries), whose tickets' clocks, customers and
// subscriptions are primed into l; an error fails only its own keys.
func (l *Loaders) ticketPages(s *store.Store) func(context.Context, []TicketsKey) ([]*store.TicketPage, []error) {
	return func(ctx context.Context, keys []TicketsKey) ([]*store.TicketPage, []error) {
		out := make([]*store.TicketPage, len(keys))
		errs := make([]error, len(keys))
		type group struct {
			owner  store.TicketOwner
			search string
		}
		groups := make(map[group][]int)
		for i, k := range keys {
			g := group{k.Owner, k.Search}
			groups[g] = append(groups[g], i)
		}
		for g, idx := range groups {
			var search TicketsSearch
			err := json.Unmarshal([]byte(g.search), &search)
			var pages []*store.TicketPage
			if err == nil {
				ids := make([]string, len(idx))
				for j, i := range idx {
					ids[j] = keys[i].ID
				}
				var all *store.TicketPage
				if pages, all, err = s.SearchTicketsOf(ctx, g.owner, ids, search.Query, search.Span, search.Reads); err == nil {
					l.PrimeTicketPage(all)
				}
			}
			for j, i := range idx {
				if err != nil {
					errs[i] = err
				} else {
					out[i] = pages[j]
				}
			}
		}
		return out, errs
	}
}

// all adapts a store batch read, which fails or succeeds as a whole, to the
// loader's per-key results.
func all[K comparable, V any](fetch func(context.Context, []K) ([]V, error)) func(context.Context, []K) ([]V, []error) {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		vals, err := fetch(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		return vals, nil
	}
}

// histories batches SLA histories: one store call (three queries) per
// distinct number of months asked for; an error fails only its own keys.
func histories(s *store.Store) func(context.Context, []HistoryKey) ([][]sla.MonthReport, []error) {
	return func(ctx context.Context, keys []HistoryKey) ([][]sla.MonthReport, []error) {
		out := make([][]sla.MonthReport, len(keys))
		errs := make([]error, len(keys))
		byMonths := make(map[int][]int)
		for i, k := range keys {
			byMonths[k.Months] = append(byMonths[k.Months], i)
		}
		for n, idx := range byMonths {
			subs := make([]*models.SupportSubscription, len(idx))
			for j, i := range idx {
				subs[j] = keys[i].Subscription
			}
			reports, err := s.SLAHistories(ctx, subs, n)
			for j, i := range idx {
				if err != nil {
					errs[i] = err
				} else {
					out[i] = reports[j]
				}
			}
		}
		return out, errs
	}
}

// PrimeTicketPage puts what a ticket page read beside its tickets (clocks,
// customers, subscriptions, domains) into the caches, so that the page's fields find
// it at once instead of collecting keys and waiting for a batch. Without
// caches (a websocket) it does nothing.
func (l *Loaders) PrimeTicketPage(p *store.TicketPage) {
	for id, clocks := range p.Clocks {
		l.ClocksByTicketID.Prime(id, clocks)
	}
	for _, c := range p.Customers {
		l.CustomerByID.Prime(c.ID, c)
	}
	for i, sub := range p.Subscriptions {
		l.SubscriptionByID.Prime(sub.ID, sub)
		if i < len(p.Domains) {
			l.DomainsBySubscriptionID.Prime(sub.ID, p.Domains[i])
		}
	}
}

// Middleware puts a fresh loader set into each request's context; a
// websocket upgrade gets one without caches. The set is built on its first
// use, so a request that loads nothing in batches (a point read) pays for
// no loaders.
func Middleware(src Sources, wait time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			newSet := New
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				newSet = NewUncached
			}
			lz := &lazy{build: func() *Loaders { return newSet(src, wait) }}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, lz)))
		})
	}
}

// lazy is a request's loader set, built once when first asked for.
type lazy struct {
	once  sync.Once
	build func() *Loaders
	set   *Loaders
}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	lz := &lazy{set: l}
	lz.once.Do(func() {})
	return context.WithValue(ctx, ctxKey{}, lz)
}

// For returns the loader set of the request ctx belongs to.
func For(ctx context.Context) *Loaders {
	lz := ctx.Value(ctxKey{}).(*lazy)
	lz.once.Do(func() { lz.set = lz.build() })
	return lz.set
}
