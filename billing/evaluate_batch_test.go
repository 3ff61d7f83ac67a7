package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
	"github.com/prioritysupport/backend/store"
)

// batchWorld is a database filled by buildBatchWorld: the evaluator, its
// clock and the subscriptions in the order they were created.
type batchWorld struct {
	ev    *billing.Evaluator
	clock *evalClock
	subs  []string
	custs []string
}

// at returns a UTC time from "2006-01-02 15:04".
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// buildBatchWorld records, through the store's own methods, subscriptions
// whose October and November 2026 cover the cases of the month rules: no
// tickets, quick and slow first responses, a request unanswered at the
// cutoff and one answered after it, resolutions, follow-ups averaging
// exactly their target and over it, weekend mail, a month covered in part
// (started, and another canceled, inside it), a longer target still below
// it at the cutoff, and an imported subscription. zone is the SLA zone,
// holidays its holidays.
func buildBatchWorld(t *testing.T, databaseURL, zone string, holidays []string) *batchWorld {
	t.Helper()
	ctx := context.Background()
	clock := &evalClock{t: at(t, "2026-10-01 00:00")}
	db := testdb.Open(t, databaseURL)
	st := store.New(db, store.Options{Now: clock.Now, SLATimezone: zone, Holidays: holidays,
		DomainPolicy: models.DomainPolicy{SupportDomain: "vendor.test"}})
	w := &batchWorld{ev: &billing.Evaluator{Store: st, Ledger: billing.NewLedger(db, clock.Now)}, clock: clock}
	sales := auth.WithCaller(ctx, auth.Caller{Subject: "s", Roles: []auth.Role{auth.RoleSales}})
	support := auth.WithCaller(ctx, auth.Caller{Subject: "e", Roles: []auth.Role{auth.RoleSupport}})
	seq := 0
	newSub := func(name, start string, created string) (string, string) {
		t.Helper()
		clock.Set(at(t, created))
		c, err := st.CreateCustomer(sales, models.CustomerInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordLicense(sales, models.LicenseInput{CustomerID: c.ID, Key: "K-" + name, Paid: true,
			ValidFrom: at(t, "2026-01-01 00:00"), ValidUntil: at(t, "2028-01-01 00:00")}); err != nil {
			t.Fatal(err)
		}
		s := at(t, start)
		sub, err := st.CreateSubscription(sales, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{name + ".example"}, StartsAt: &s})
		if err != nil {
			t.Fatal(err)
		}
		w.subs, w.custs = append(w.subs, sub.ID), append(w.custs, c.ID)
		return sub.ID, name + ".example"
	}
	// ask sends a customer message received at received (a reply to parent,
	// if any) and returns its id; answer sends support's reply to parent.
	ask := func(domain, received, parent string) string {
		t.Helper()
		seq++
		id := fmt.Sprintf("m%d@%s", seq, domain)
		in := models.InboundEmail{MessageID: id, Direction: models.FromCustomer, From: "a@" + domain, FromDomain: domain,
			Subject: "Help " + id, ReceivedAt: at(t, received)}
		if parent != "" {
			in.InReplyTo = []string{parent}
		}
		clock.Set(in.ReceivedAt)
		if _, err := st.IngestEmail(ctx, in); err != nil {
			t.Fatal(err)
		}
		return id
	}
	answer := func(parent, received string) string {
		t.Helper()
		seq++
		id := fmt.Sprintf("r%d@vendor.test", seq)
		in := models.InboundEmail{MessageID: id, Direction: models.FromSupport, From: "s@vendor.test", FromDomain: "vendor.test",
			Subject: "Re: Help", ReceivedAt: at(t, received), InReplyTo: []string{parent}}
		if at(t, received).After(clock.Now()) {
			clock.Set(in.ReceivedAt)
		}
		if _, err := st.IngestEmail(ctx, in); err != nil {
			t.Fatal(err)
		}
		return id
	}
	resolve := func(domain, msg, when string) {
		t.Helper()
		var ticketID string
		if err := db.NewSelect().TableExpr("ticket_messages").Column("ticket_id").Where("message_id = ?", msg).Scan(ctx, &ticketID); err != nil {
			t.Fatal(err)
		}
		clock.Set(at(t, when))
		if _, err := st.ResolveTicket(support, ticketID); err != nil {
			t.Fatal(err)
		}
	}

	newSub("empty", "2026-10-01 00:00", "2026-10-01 00:00")

	_, d := newSub("quick", "2026-10-01 00:00", "2026-10-01 00:00")
	answer(ask(d, "2026-10-06 09:00", ""), "2026-10-06 09:30")
	answer(ask(d, "2026-11-03 09:00", ""), "2026-11-03 09:59")

	_, d = newSub("slow", "2026-10-01 00:00", "2026-10-01 00:00")
	answer(ask(d, "2026-10-07 09:00", ""), "2026-10-07 09:10")
	answer(ask(d, "2026-11-04 09:00", ""), "2026-11-04 10:30")

	_, d = newSub("unanswered", "2026-10-01 00:00", "2026-10-01 00:00")
	ask(d, "2026-11-30 23:30", "")
	late := ask(d, "2026-10-30 23:50", "")
	answer(late, "2026-11-02 10:00")

	_, d = newSub("resolved", "2026-10-01 00:00", "2026-10-01 00:00")
	m := ask(d, "2026-11-10 09:00", "")
	resolve(d, m, "2026-11-10 09:20")
	m = ask(d, "2026-11-11 09:00", "")
	resolve(d, m, "2026-11-11 11:00")

	_, d = newSub("followups", "2026-10-01 00:00", "2026-10-01 00:00")
	m = ask(d, "2026-11-03 09:00", "")
	r := answer(m, "2026-11-03 09:10")
	m = ask(d, "2026-11-03 12:00", r)
	r = answer(m, "2026-11-03 12:30")
	m = ask(d, "2026-11-04 12:00", r)
	answer(m, "2026-11-04 13:30") // 30 and 90 minutes: exactly the target on average
	m = ask(d, "2026-10-13 09:00", "")
	r = answer(m, "2026-10-13 09:05")
	m = ask(d, "2026-10-13 12:00", r)
	answer(m, "2026-10-13 13:05") // one follow-up over its target

	_, d = newSub("weekend", "2026-10-01 00:00", "2026-10-01 00:00")
	answer(ask(d, "2026-11-28 20:00", ""), "2026-11-30 00:30")
	ask(d, "2026-10-31 21:00", "") // Saturday, unanswered: one business hour at the cutoff

	_, d = newSub("partial", "2026-11-15 00:00", "2026-11-15 00:00")
	answer(ask(d, "2026-11-17 09:00", ""), "2026-11-17 09:20")

	ended, d := newSub("ended", "2026-10-01 00:00", "2026-10-01 00:00")
	answer(ask(d, "2026-11-05 09:00", ""), "2026-11-05 09:30")
	clock.Set(at(t, "2026-11-20 12:00"))
	if _, err := st.EndSubscription(ctx, ended, models.StatusCanceled, "leaving", "test"); err != nil {
		t.Fatal(err)
	}

	long, d := newSub("long", "2026-10-01 00:00", "2026-10-01 00:00")
	if _, err := db.NewUpdate().TableExpr("support_subscriptions").Set("first_response_target_seconds = 7200").
		Where("id = ?", long).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ask(d, "2026-11-30 23:30", "") // 90 business minutes at the cutoff: below two hours

	newSub("imported", "2026-10-01 00:00", "2026-12-05 00:00")

	clock.Set(at(t, "2026-12-10 12:00"))
	return w
}

// batchRefs are the months both ways evaluate: October, November and
// December (not final) of each subscription, and a few that are wrong.
func (w *batchWorld) batchRefs() []store.MonthRef {
	var refs []store.MonthRef
	for _, s := range w.subs {
		for _, m := range []string{"2026-09", "2026-10", "2026-11", "2026-12"} {
			refs = append(refs, store.MonthRef{SubscriptionID: s, Month: m})
		}
	}
	return append(refs, store.MonthRef{SubscriptionID: "no-such-subscription", Month: "2026-11"},
		store.MonthRef{SubscriptionID: w.subs[0], Month: "2026-13"})
}

// reportText is a report with every field written out, pointers followed.
func reportText(t *testing.T, r *sla.MonthReport) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// normalize replaces the world's ids in s by their positions.
func (w *batchWorld) normalize(s string) string {
	for i, id := range w.subs {
		s = strings.ReplaceAll(s, id, fmt.Sprintf("<sub%d>", i))
	}
	for i, id := range w.custs {
		s = strings.ReplaceAll(s, id, fmt.Sprintf("<cust%d>", i))
	}
	return s
}

// stored returns the frozen months and the ledger of the world's database,
// its ids replaced by positions.
func (w *batchWorld) stored(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := w.ev.Store.DB()
	var months []map[string]any
	if err := db.NewSelect().TableExpr("sla_months").ColumnExpr("*").Scan(ctx, &months); err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := db.NewSelect().TableExpr("credit_entries").ColumnExpr("*").Scan(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	credited := map[any]string{}
	var lines []string
	for _, e := range entries {
		credited[e["id"]] = fmt.Sprint(e["idempotency_key"])
		delete(e, "id")
		lines = append(lines, fmt.Sprintf("entry %v", e))
	}
	for _, m := range months {
		if id := m["credit_entry_id"]; id != nil {
			m["credit_entry_id"] = credited[id]
		}
		lines = append(lines, fmt.Sprintf("month %v", m))
	}
	out := w.normalize(strings.Join(lines, "\n"))
	lines = strings.Split(out, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestEvaluateMonthsAsFinalizeMonth: the same subscription-months,
// evaluated one by one (as staff do) in one database and as one batch (as
// the jobs do) in another with the same history, give the same reports, the
// same frozen rows and the same credits, in UTC and in New York with a
// holiday; the batch leaves imported history to staff.
func TestEvaluateMonthsAsFinalizeMonth(t *testing.T) {
	for _, cal := range []struct {
		name, zone string
		holidays   []string
	}{{"utc", "UTC", nil}, {"new_york", "America/New_York", []string{"2026-11-26", "2026-11-30"}}} {
		t.Run(cal.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, databaseURL string) {
				other := testdb.SQLite(t)
				if store.IsPostgresURL(databaseURL) {
					other = testdb.Postgres(t)
				}
				ctx := context.Background()
				one := buildBatchWorld(t, databaseURL, cal.zone, cal.holidays)
				batch := buildBatchWorld(t, other, cal.zone, cal.holidays)
				refs, brefs := one.batchRefs(), batch.batchRefs()

				imported := one.subs[len(one.subs)-1]
				single := make([]string, len(refs))
				for i, ref := range refs {
					r, err := one.ev.EvaluateMonth(ctx, ref.SubscriptionID, ref.Month)
					switch {
					case ref.SubscriptionID == imported && err == nil:
						single[i] = "left to staff"
					case err != nil:
						single[i] = "error " + string(models.ErrorCode(err))
					default:
						single[i] = one.normalize(reportText(t, r))
					}
				}
				// The imported months are for staff; the batch must not freeze them.
				for _, m := range []string{"2026-10", "2026-11"} {
					if _, err := one.ev.Store.DB().NewDelete().TableExpr("sla_months").
						Where("subscription_id = ? AND month = ?", imported, m).Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}

				out, err := batch.ev.EvaluateMonths(ctx, brefs)
				if err != nil {
					t.Fatal(err)
				}
				for i, o := range out {
					var got string
					switch {
					case o.LeftToStaff:
						got = "left to staff"
					case o.Err != nil:
						got = "error " + string(models.ErrorCode(o.Err))
					case !o.Fresh:
						t.Errorf("%s: not fresh on its first evaluation", single[i])
					default:
						got = batch.normalize(reportText(t, o.Report))
					}
					if o.Report != nil && got != single[i] {
						t.Errorf("month %d (%s):\n batch  %s\n single %s", i, refs[i].Month, got, single[i])
					} else if o.Report == nil && got != single[i] && !(o.LeftToStaff && strings.HasPrefix(single[i], "error")) {
						t.Errorf("month %d (%s): batch %s, single %s", i, refs[i].Month, got, single[i])
					}
				}
				a0 := one.stored(t)
				t.Logf("stored: %d lines, %d credits", strings.Count(a0, "\n")+1, strings.Count(a0, "entry "))
				if a, b := a0, batch.stored(t); a != b {
					t.Errorf("stored rows differ:\nsingle:\n%s\nbatch:\n%s", a, b)
				}
				met, missed := 0, 0
				for _, o := range out {
					if o.Report != nil && o.Report.Met {
						met++
					} else if o.Report != nil {
						missed++
					}
				}
				if met < 5 || missed < 4 {
					t.Errorf("met %d, missed %d: the cases should hold both", met, missed)
				}

				// Again: nothing new, the same reports; and FinalizeMonth reads
				// what the batch froze.
				before := batch.stored(t)
				again, err := batch.ev.EvaluateMonths(ctx, brefs)
				if err != nil {
					t.Fatal(err)
				}
				for i, o := range again {
					if o.Fresh || !reflect.DeepEqual(o.Report, out[i].Report) {
						t.Errorf("month %d evaluated again: fresh %v, %+v, want %+v", i, o.Fresh, o.Report, out[i].Report)
					}
					if o.Report != nil {
						r, err := batch.ev.EvaluateMonth(ctx, o.SubscriptionID, o.Month)
						if err != nil || !reflect.DeepEqual(r, o.Report) {
							t.Errorf("month %d by FinalizeMonth after the batch: %+v, %v", i, r, err)
						}
					}
				}
				if after := batch.stored(t); after != before {
					t.Errorf("evaluating again wrote:\n%s\nwas:\n%s", after, before)
				}
			})
		})
	}
}

// TestEvaluateMonthsExactlyOnce: batches in different orders and single
// evaluations of the same missed months, all at once from separate
// connection pools (as from replicas and staff), freeze each month once and
// credit it once.
func TestEvaluateMonthsExactlyOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		w := buildBatchWorld(t, databaseURL, "UTC", nil)
		var refs []store.MonthRef
		for _, s := range w.subs {
			refs = append(refs, store.MonthRef{SubscriptionID: s, Month: "2026-10"}, store.MonthRef{SubscriptionID: s, Month: "2026-11"})
		}
		reversed := slices.Clone(refs)
		slices.Reverse(reversed)
		evaluator := func() *billing.Evaluator {
			db := testdb.Open(t, databaseURL)
			st := store.New(db, store.Options{Now: w.clock.Now, DomainPolicy: models.DomainPolicy{SupportDomain: "vendor.test"}})
			return &billing.Evaluator{Store: st, Ledger: billing.NewLedger(db, w.clock.Now)}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		fresh := map[store.MonthRef]int{}
		var errs []error
		for k := range 4 {
			ev := evaluator()
			wg.Go(func() {
				batch := refs
				if k%2 == 1 {
					batch = reversed
				}
				out, err := ev.EvaluateMonths(ctx, batch)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				for _, o := range out {
					if o.Fresh {
						fresh[o.MonthRef]++
					}
				}
			})
		}
		ev := evaluator()
		wg.Go(func() {
			for _, ref := range reversed {
				_, err := ev.EvaluateMonth(ctx, ref.SubscriptionID, ref.Month)
				if err != nil && models.ErrorCode(err) != models.CodeBadUserInput {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
		wg.Wait()
		for _, err := range errs {
			t.Errorf("concurrent evaluation: %v", err)
		}
		for ref, n := range fresh {
			if n > 1 {
				t.Errorf("%v frozen fresh by %d batches", ref, n)
			}
		}
		db := w.ev.Store.DB()
		var dup int
		if err := db.NewSelect().TableExpr("(SELECT subscription_id, month, count(*) AS n FROM credit_entries WHERE kind = 'earned' GROUP BY subscription_id, month) AS x").
			ColumnExpr("count(*)").Where("x.n > 1").Scan(ctx, &dup); err != nil || dup != 0 {
			t.Fatalf("months credited more than once: %d, %v", dup, err)
		}
		var credits, missed int
		if err := db.NewSelect().TableExpr("credit_entries").ColumnExpr("count(*)").Where("kind = 'earned'").Scan(ctx, &credits); err != nil {
			t.Fatal(err)
		}
		if err := db.NewSelect().TableExpr("sla_months").ColumnExpr("count(*)").Where("NOT met AND credit_entry_id IS NOT NULL").Scan(ctx, &missed); err != nil {
			t.Fatal(err)
		}
		if credits == 0 || credits != missed {
			t.Fatalf("%d earned credits for %d missed months", credits, missed)
		}
		for _, c := range w.custs {
			bal, err := w.ev.Ledger.Balance(ctx, c)
			if err != nil || bal.Cents%80000 != 0 || bal.Cents > 2*80000 {
				t.Errorf("balance of %s = %+v, %v", c, bal, err)
			}
		}
	})
}

// TestEvaluateMonthsBalanceCap: a missed month whose credit would take its
// customer's balance past the largest balance is not frozen (CONFLICT, for
// a retry once the balance is spent), and the rest of the batch is.
func TestEvaluateMonthsBalanceCap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		w := buildBatchWorld(t, databaseURL, "UTC", nil)
		slow, followups := 2, 5 // both missed October
		admin := auth.WithCaller(ctx, auth.Caller{Subject: "a", Roles: []auth.Role{auth.RoleAdmin}})
		if _, err := w.ev.Ledger.Adjust(admin, w.custs[slow], models.MaxBalanceCents-50000, "large balance"); err != nil {
			t.Fatal(err)
		}
		refs := []store.MonthRef{{SubscriptionID: w.subs[slow], Month: "2026-11"}, {SubscriptionID: w.subs[followups], Month: "2026-10"}}
		out, err := w.ev.EvaluateMonths(ctx, refs)
		if err != nil {
			t.Fatal(err)
		}
		if models.ErrorCode(out[0].Err) != models.CodeConflict || out[0].Report != nil {
			t.Errorf("capped month: %+v, want CONFLICT", out[0])
		}
		if out[1].Err != nil || !out[1].Fresh || out[1].Report.Met {
			t.Errorf("other month: %+v, want frozen and missed", out[1])
		}
		if bal, _ := w.ev.Ledger.Balance(ctx, w.custs[slow]); bal.Cents != models.MaxBalanceCents-50000 {
			t.Errorf("capped balance = %d", bal.Cents)
		}
		if bal, _ := w.ev.Ledger.Balance(ctx, w.custs[followups]); bal.Cents != 80000 {
			t.Errorf("other balance = %d, want 80000", bal.Cents)
		}
		if due, err := w.ev.Store.DueMonths(ctx); err != nil || !slices.Contains(due, refs[0]) || slices.Contains(due, refs[1]) {
			t.Errorf("due after the batch: %v, %v; want the capped month still due", due, err)
		}
	})
}
