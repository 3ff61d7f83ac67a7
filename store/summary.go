package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// MaxSummaryMonths bounds the range of a customer's SLA summary.
const MaxSummaryMonths = MaxHistoryMonths

// SummaryKey asks for the SLA summary of a customer the caller has read,
// over the months From to To ("YYYY-MM", both included).
type SummaryKey struct {
	CustomerID string
	From, To   string
}

// CustomerMonth is one month of a customer's SLA record: the sums of the
// month reports of its subscriptions that carried the guarantee in it.
// Counts add up; the averages are weighted by the number of responses
// each report averages (so a rounded stored average weighs by its count).
type CustomerMonth struct {
	Month string
	// Reports are the subscriptions' reports of the month, in the order of
	// the customer's subscriptions (newest first).
	Reports []*sla.MonthReport
	// Final: every report is; Met: every report is met.
	Final, Met bool
	// Status is the worst of the reports': BREACHED, AT_RISK, ON_TRACK, MET.
	Status                                        sla.Status
	TicketsReceived, FirstResponses, FollowUps    int
	FirstResponsesMet, FirstResponsesMissed       int
	FirstResponsesAnswered, FirstResponsesRunning *int // nil when a report lacks them
	AverageFirstResponse, AverageFollowUp         *time.Duration
	CreditEarned                                  models.Money
	firstSum, followSum                           time.Duration
	firstKnown                                    bool
}

// CustomerSummary is a customer's SLA record over a range of months: the
// months in which a subscription carried the guarantee, oldest first, and
// their totals (averages weighted as in CustomerMonth).
type CustomerSummary struct {
	From, To                                   string
	Months                                     []*CustomerMonth
	TicketsReceived, FirstResponses, FollowUps int
	FirstResponsesMet, FirstResponsesMissed    int
	AverageFirstResponse, AverageFollowUp      *time.Duration
	MonthsMet, MonthsBreached                  int
	CreditEarned                               models.Money
}

// CustomerSummaries returns, for each key in order, the customer's SLA
// summary over its months, from stored data: the month reports as
// SLAHistory makes them (frozen months from their stored rows, the others
// measured from their clocks) and the EARNED ledger entries. It reads the
// customers' subscriptions, their reports and credits in five queries,
// whatever the number of keys, months and subscriptions: for a dataloader.
// Every read is scoped to the caller's customer. It returns BAD_USER_INPUT
// for a malformed month, a range that ends before it starts or spans more
// than MaxSummaryMonths months, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) CustomerSummaries(ctx context.Context, keys []SummaryKey) ([]*CustomerSummary, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	ranges := make([][]string, len(keys))
	customers := make([]string, 0, len(keys))
	for i, k := range keys {
		if ranges[i], err = monthRange(k.From, k.To); err != nil {
			return nil, err
		}
		customers = append(customers, k.CustomerID)
	}
	subsByCustomer, err := s.SubscriptionsByCustomerIDs(ctx, customers)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	// One (subscription, months) pair per key and subscription: a customer
	// asked for with two ranges has its subscriptions measured for both.
	var subs []*models.SupportSubscription
	var months [][]string
	var owner []int
	var allSubs, allMonths []string
	for i := range keys {
		for _, sub := range subsByCustomer[i] {
			cal, err := s.Calendar(sub.SLATimezone)
			if err != nil {
				return nil, err
			}
			life := LifeOf(sub)
			var list []string
			for _, m := range ranges[i] {
				if ok, err := life.HasMonth(cal, m, now); err != nil {
					return nil, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
				} else if ok {
					list = append(list, m)
				}
			}
			subs, months, owner = append(subs, sub), append(months, list), append(owner, i)
			allSubs = append(allSubs, sub.ID)
			allMonths = append(allMonths, list...)
		}
	}
	reports, err := s.monthReports(ctx, s.db, subs, months, now)
	if err != nil {
		return nil, fmt.Errorf("customer summary: %w", err)
	}
	earned, err := s.earnedCredits(ctx, scope, allSubs, allMonths)
	if err != nil {
		return nil, err
	}
	out := make([]*CustomerSummary, len(keys))
	for i, k := range keys {
		byMonth := make(map[string]*CustomerMonth)
		for j, sub := range subs {
			if owner[j] != i {
				continue
			}
			for r := range reports[j] {
				rep := &reports[j][r]
				rep.SubscriptionID = sub.ID
				cm := byMonth[rep.Month]
				if cm == nil {
					cm = &CustomerMonth{Month: rep.Month, Final: true, Met: true, Status: sla.Met, firstKnown: true,
						FirstResponsesAnswered: new(int), FirstResponsesRunning: new(int), CreditEarned: models.Money{Currency: models.MonthlyFee.Currency}}
					byMonth[rep.Month] = cm
				}
				cm.add(rep, earned[[2]string{sub.ID, rep.Month}])
			}
		}
		sum := &CustomerSummary{From: k.From, To: k.To, Months: []*CustomerMonth{}, CreditEarned: models.Money{Currency: models.MonthlyFee.Currency}}
		var firstSum, followSum time.Duration
		answered, firstKnown := 0, true
		for _, m := range ranges[i] {
			cm := byMonth[m]
			if cm == nil {
				continue
			}
			cm.finish()
			sum.Months = append(sum.Months, cm)
			sum.TicketsReceived += cm.TicketsReceived
			sum.FirstResponses += cm.FirstResponses
			sum.FirstResponsesMet += cm.FirstResponsesMet
			sum.FirstResponsesMissed += cm.FirstResponsesMissed
			sum.FollowUps += cm.FollowUps
			sum.CreditEarned.Cents += cm.CreditEarned.Cents
			firstSum, followSum = firstSum+cm.firstSum, followSum+cm.followSum
			if cm.FirstResponsesAnswered == nil || !cm.firstKnown {
				firstKnown = false
			} else {
				answered += *cm.FirstResponsesAnswered
			}
			switch cm.Status {
			case sla.Met:
				sum.MonthsMet++
			case sla.Breached:
				sum.MonthsBreached++
			}
		}
		if firstKnown {
			sum.AverageFirstResponse = weighted(firstSum, answered)
		}
		sum.AverageFollowUp = weighted(followSum, sum.FollowUps)
		out[i] = sum
	}
	return out, nil
}

// add counts one subscription's report of the month, and the credit it
// earned (nil for none), into m.
func (m *CustomerMonth) add(r *sla.MonthReport, credit *models.CreditEntry) {
	m.Reports = append(m.Reports, r)
	m.Final = m.Final && r.Final
	m.Met = m.Met && r.Met
	if statusRank[r.Status] > statusRank[m.Status] {
		m.Status = r.Status
	}
	m.TicketsReceived += r.TicketsReceived
	m.FirstResponses += r.FirstResponses
	m.FirstResponsesMet += r.FirstResponsesMet
	m.FirstResponsesMissed += r.FirstResponsesMissed
	m.FollowUps += r.FollowUps
	if r.FirstResponsesAnswered == nil || r.FirstResponsesRunning == nil {
		m.FirstResponsesAnswered, m.FirstResponsesRunning = nil, nil
	} else if m.FirstResponsesAnswered != nil {
		*m.FirstResponsesAnswered += *r.FirstResponsesAnswered
		*m.FirstResponsesRunning += *r.FirstResponsesRunning
	}
	switch {
	case r.FirstResponsesAnswered == nil, *r.FirstResponsesAnswered > 0 && r.AverageFirstResponse == nil:
		m.firstKnown = false
	case r.AverageFirstResponse != nil:
		m.firstSum += *r.AverageFirstResponse * time.Duration(*r.FirstResponsesAnswered)
	}
	if r.AverageFollowUp != nil {
		m.followSum += *r.AverageFollowUp * time.Duration(r.FollowUps)
	}
	if credit != nil {
		m.CreditEarned.Cents += credit.AmountCents
		m.CreditEarned.Currency = credit.Currency
	}
}

// finish sets m's averages from its sums.
func (m *CustomerMonth) finish() {
	if m.firstKnown && m.FirstResponsesAnswered != nil {
		m.AverageFirstResponse = weighted(m.firstSum, *m.FirstResponsesAnswered)
	}
	m.AverageFollowUp = weighted(m.followSum, m.FollowUps)
}

// statusRank orders the statuses from best to worst.
var statusRank = map[sla.Status]int{sla.Met: 0, sla.OnTrack: 1, sla.AtRisk: 2, sla.Breached: 3}

// weighted returns sum/n rounded to the second, nil when n is 0.
func weighted(sum time.Duration, n int) *time.Duration {
	if n == 0 {
		return nil
	}
	d := (sum / time.Duration(n)).Round(time.Second)
	return &d
}

// monthRange returns the months from..to, both included, or
// BAD_USER_INPUT.
func monthRange(from, to string) ([]string, error) {
	fy, fm, err1 := bizhours.ParseMonth(from)
	ty, tm, err2 := bizhours.ParseMonth(to)
	if err1 != nil || err2 != nil {
		return nil, models.Errorf(models.CodeBadUserInput, "months must be YYYY-MM, e.g. 2026-11")
	}
	n := (ty-fy)*12 + int(tm-fm) + 1
	switch {
	case n < 1:
		return nil, models.Errorf(models.CodeBadUserInput, "the range must not end (%s) before it starts (%s)", to, from)
	case n > MaxSummaryMonths:
		return nil, models.Errorf(models.CodeBadUserInput, "the range may span at most %d months; %s to %s spans %d", MaxSummaryMonths, from, to, n)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = time.Date(fy, fm+time.Month(i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	}
	return out, nil
}

// earnedCredits returns the EARNED ledger entries of the subscriptions for
// the months, by subscription and month, in one query scoped to the
// caller's customer.
func (s *Store) earnedCredits(ctx context.Context, scope string, subs, months []string) (map[[2]string]*models.CreditEntry, error) {
	out := make(map[[2]string]*models.CreditEntry)
	if len(subs) == 0 || len(months) == 0 {
		return out, nil
	}
	var rows []*models.CreditEntry
	q := s.db.NewSelect().Model(&rows).Where("ce.kind = ?", models.CreditEarned).
		Where("ce.subscription_id IN (?)", bun.In(subs)).Where("ce.month IN (?)", bun.In(months))
	if err := scoped(q, "ce.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("earned credits: %w", err)
	}
	for _, e := range rows {
		out[[2]string{e.SubscriptionID, e.Month}] = e
	}
	return out, nil
}
