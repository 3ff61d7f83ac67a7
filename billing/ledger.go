package billing

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// Ledger is the credit ledger service over one database: customers' credit
// entries, appended and never changed, and balances as the sums of them.
// Build it once with NewLedger and share it.
type Ledger struct {
	db      *bun.DB
	now     func() time.Time
	balance *store.Prepared // a customer's balance; no row for an unknown customer
}

// NewLedger returns a Ledger over db that reads the time from now; nil means
// time.Now.
func NewLedger(db *bun.DB, now func() time.Time) *Ledger {
	if now == nil {
		now = time.Now
	}
	return &Ledger{db: db, now: now, balance: store.Prepare(db,
		`SELECT CAST(COALESCE(SUM(ce.amount_cents), 0) AS bigint)
		FROM customers AS c LEFT JOIN credit_entries AS ce ON ce.customer_id = c.id
		WHERE c.id = ? GROUP BY c.id`)}
}

// Limits of the ledger's inputs and pages.
const (
	maxKeyLength    = 255                    // idempotency keys, references, actors
	maxReasonLength = models.MaxReasonLength // adjustment reasons, in characters
	defaultPageSize = 20
	maxPageSize     = 100
	systemActor     = "system"
)

// Entry is what to append to a customer's ledger.
type Entry struct {
	CustomerID string
	Kind       models.CreditKind
	// AmountCents is signed: positive for earned, negative for applied and
	// refunded, either for an adjustment. DebitUpTo sets it itself.
	AmountCents int64
	// Currency is the ledger currency (models.MonthlyFee's: USD); empty means it.
	Currency string
	// Reference names what the entry settles, such as
	// "subscription-month:<id>:2026-11", "invoice:in_123" or "refund:re_123".
	Reference string
	// IdempotencyKey is unique across the ledger: an entry whose key exists
	// already is not written again.
	IdempotencyKey string
	// Reason says why; required for staff adjustments only.
	Reason string
	// Actor is the staff subject, job or webhook that writes the entry;
	// empty means "system".
	Actor string
	// SubscriptionID is the customer's subscription the entry concerns;
	// required for earned entries.
	SubscriptionID string
	// Month is the "YYYY-MM" an earned entry is for; only earned entries
	// carry one.
	Month string
}

// EntryPage is one page of a customer's entries, newest first.
type EntryPage struct {
	Entries     []*models.CreditEntry
	Cursors     []string // the opaque cursor of each entry, for "after"
	HasNextPage bool
	TotalCount  int
}

// Append writes e to its customer's ledger in a transaction of its own and
// returns the entry and true. It is for internal callers (jobs, webhooks)
// and checks no caller. It is idempotent: when an entry with
// e.IdempotencyKey exists already, also one written concurrently, it returns
// that entry and false and writes nothing. A debit (a negative amount) is
// checked against the balance under a lock on the customer, so concurrent
// debits cannot overspend.
//
// A credit is checked under the same lock: no entry may take the balance
// past models.MaxBalanceCents.
//
// It returns BAD_USER_INPUT for an invalid entry (unknown kind, a sign the
// kind does not allow, an amount beyond models.MaxBalanceCents either way,
// another currency, no key or reference, an earned entry without
// subscription and month), NOT_FOUND for an unknown customer or a
// subscription that is not the customer's, and CONFLICT when a debit
// exceeds the balance, a credit would take it past models.MaxBalanceCents,
// the key was used for a different entry, or the subscription-month has
// earned its credit already.
func (l *Ledger) Append(ctx context.Context, e Entry) (*models.CreditEntry, bool, error) {
	return l.write(ctx, e, 0)
}

// AppendTx is Append inside the caller's transaction, for callers that must
// write the entry together with rows of their own; the caller commits. The
// rules and errors are Append's. It locks the customer and then looks the
// key up, so a replayed key is found by that read. A unique violation can
// still surface from a concurrent writer on another customer (same key) and
// is returned as CONFLICT; on PostgreSQL the caller's transaction is then
// aborted and must be rolled back.
func (l *Ledger) AppendTx(ctx context.Context, tx bun.Tx, e Entry) (*models.CreditEntry, bool, error) {
	if err := e.check(false); err != nil {
		return nil, false, err
	}
	entry, created, err := l.appendTx(ctx, tx, e, 0)
	if store.IsUniqueViolation(err) {
		return nil, false, duplicateError(e)
	}
	return entry, created, err
}

// AppendResult is what AppendManyTx did with one entry: the entry written
// (Created) or found under its key, or the entry's own error.
type AppendResult struct {
	Entry   *models.CreditEntry
	Created bool
	Err     error
}

// AppendManyTx is AppendTx for many entries in the caller's transaction,
// with a fixed number of queries whatever their number: for crediting a
// batch of evaluated months. It locks the entries' customers in the order of
// their ids (so two batches, or a batch and single writers, cannot
// deadlock), then takes the entries in their order with Append's rules, each
// seeing the ones before it: a key found returns that entry, a debit may not
// overspend and a credit may not take the balance past
// models.MaxBalanceCents. An entry that breaks a rule gets Append's error in
// its result and is not written; the others are. The error returned is for
// the batch as a whole (a failed query, or a unique violation from a
// concurrent writer, on PostgreSQL aborting tx); the caller commits.
func (l *Ledger) AppendManyTx(ctx context.Context, tx bun.Tx, entries []Entry) ([]AppendResult, error) {
	res := make([]AppendResult, len(entries))
	es := slices.Clone(entries)
	var ok []int
	var customers, keys, subs, months []string
	for i := range es {
		if err := es[i].check(false); err != nil {
			res[i].Err = err
			continue
		}
		ok = append(ok, i)
		customers = append(customers, es[i].CustomerID)
		keys = append(keys, es[i].IdempotencyKey)
		if es[i].SubscriptionID != "" {
			subs = append(subs, es[i].SubscriptionID)
		}
		if es[i].Month != "" {
			months = append(months, es[i].Month)
		}
	}
	if len(ok) == 0 {
		return res, nil
	}
	slices.Sort(customers)
	customers = slices.Compact(customers)
	var locked []string
	q := tx.NewSelect().TableExpr("customers AS c").Column("c.id").Where("c.id IN (?)", bun.In(customers)).OrderExpr("c.id")
	if store.IsPostgres(tx) {
		q = q.For("NO KEY UPDATE")
	}
	if err := q.Scan(ctx, &locked); err != nil {
		return nil, fmt.Errorf("lock customers: %w", err)
	}
	exists := make(map[string]bool, len(locked))
	for _, id := range locked {
		exists[id] = true
	}
	var prevs []*models.CreditEntry
	if err := tx.NewSelect().Model(&prevs).Where("ce.idempotency_key IN (?)", bun.In(keys)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("find credit entries: %w", err)
	}
	byKey := make(map[string]*models.CreditEntry, len(prevs)+len(ok))
	for _, p := range prevs {
		byKey[p.IdempotencyKey] = p
	}
	owner := map[string]string{}
	earned := map[SubscriptionMonth]bool{}
	if len(subs) > 0 {
		var rows []struct {
			ID         string `bun:"id"`
			CustomerID string `bun:"customer_id"`
		}
		if err := tx.NewSelect().TableExpr("support_subscriptions AS s").Column("s.id", "s.customer_id").
			Where("s.id IN (?)", bun.In(subs)).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("find subscriptions: %w", err)
		}
		for _, r := range rows {
			owner[r.ID] = r.CustomerID
		}
	}
	if len(months) > 0 {
		// Pairs outside the batch that the two IN lists also match do no harm.
		var rows []SubscriptionMonth
		if err := tx.NewSelect().Model((*models.CreditEntry)(nil)).Column("ce.subscription_id", "ce.month").
			Where("ce.kind = ? AND ce.subscription_id IN (?) AND ce.month IN (?)", models.CreditEarned, bun.In(subs), bun.In(months)).
			Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("find earned credit: %w", err)
		}
		for _, r := range rows {
			earned[r] = true
		}
	}
	var sums []struct {
		CustomerID string `bun:"customer_id"`
		Cents      int64  `bun:"cents"`
	}
	if err := tx.NewSelect().Model((*models.CreditEntry)(nil)).
		ColumnExpr("ce.customer_id").ColumnExpr("CAST(SUM(ce.amount_cents) AS bigint) AS cents").
		Where("ce.customer_id IN (?)", bun.In(locked)).GroupExpr("ce.customer_id").Scan(ctx, &sums); err != nil {
		return nil, fmt.Errorf("credit balances: %w", err)
	}
	balance := make(map[string]int64, len(sums))
	for _, s := range sums {
		balance[s.CustomerID] = s.Cents
	}
	now := l.now().UTC().Truncate(time.Microsecond)
	var insert []*models.CreditEntry
	for _, i := range ok {
		e := es[i]
		if !exists[e.CustomerID] {
			res[i].Err = customerNotFound(e.CustomerID)
			continue
		}
		if prev := byKey[e.IdempotencyKey]; prev != nil {
			if err := e.sameAs(prev, false); err != nil {
				res[i].Err = err
				continue
			}
			res[i].Entry = prev
			continue
		}
		if e.SubscriptionID != "" && owner[e.SubscriptionID] != e.CustomerID {
			res[i].Err = models.Errorf(models.CodeNotFound, "subscription %q not found", e.SubscriptionID)
			continue
		}
		sm := SubscriptionMonth{SubscriptionID: e.SubscriptionID, Month: e.Month}
		if e.Kind == models.CreditEarned && earned[sm] {
			res[i].Err = duplicateError(e)
			continue
		}
		bal, amount := balance[e.CustomerID], e.AmountCents
		if err := checkBalance(bal, amount); err != nil {
			res[i].Err = err
			continue
		}
		entry := newEntry(e, amount, now)
		balance[e.CustomerID] = bal + amount
		byKey[e.IdempotencyKey] = entry
		if e.Kind == models.CreditEarned {
			earned[sm] = true
		}
		insert = append(insert, entry)
		res[i].Entry, res[i].Created = entry, true
	}
	if len(insert) > 0 {
		if _, err := tx.NewInsert().Model(&insert).Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert credit entries: %w", err)
		}
	}
	return res, nil
}

// DebitUpTo writes a debit of e.Kind (applied, refunded or adjustment) of
// the customer's whole balance, at most maxCents, in a transaction of its
// own: for applying credit to an invoice of maxCents, or refunding the
// balance. It returns the entry and true, or nil and false when the balance
// is zero and nothing was written. e.AmountCents must be zero. A replayed
// key returns the original entry and false, even if the balance has changed
// since. It checks no caller. Errors are Append's, and BAD_USER_INPUT when
// maxCents is not positive.
func (l *Ledger) DebitUpTo(ctx context.Context, e Entry, maxCents int64) (*models.CreditEntry, bool, error) {
	if maxCents <= 0 {
		return nil, false, models.Errorf(models.CodeBadUserInput, "the amount to debit must be positive")
	}
	return l.write(ctx, e, maxCents)
}

// Balance returns the customer's balance, the sum of its entries. It checks
// no caller and returns NOT_FOUND for an unknown customer.
func (l *Ledger) Balance(ctx context.Context, customerID string) (models.Money, error) {
	var cents int64
	err := l.balance.QueryRow(ctx, []any{customerID}, &cents)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return models.Money{}, customerNotFound(customerID)
	case err != nil:
		return models.Money{}, fmt.Errorf("credit balance: %w", err)
	}
	return money(cents), nil
}

// Adjust adds amountCents (positive or negative, not zero) to a customer's
// balance as a staff adjustment with a reason, under a new idempotency key,
// and returns the entry. Only admins may adjust. It returns UNAUTHENTICATED
// or FORBIDDEN for other callers, BAD_USER_INPUT for a zero amount, an
// amount beyond models.MaxBalanceCents either way, or a reason that is
// empty, longer than 1000 characters or holds control characters other than
// tab and line breaks, NOT_FOUND for an unknown customer, and CONFLICT when
// a negative amount exceeds the balance or a positive one would take it
// past models.MaxBalanceCents.
func (l *Ledger) Adjust(ctx context.Context, customerID string, amountCents int64, reason string) (*models.CreditEntry, error) {
	return l.AdjustWithKey(ctx, "", customerID, amountCents, reason)
}

// AdjustWithKey is Adjust with an idempotency key of the caller's, so that a
// retried request adjusts once: the same key returns the first adjustment.
// The key is stored as "adjustment:"+key; an empty key means a new one. The
// errors are Adjust's, and CONFLICT when the key was used for a different
// adjustment.
func (l *Ledger) AdjustWithKey(ctx context.Context, key, customerID string, amountCents int64, reason string) (*models.CreditEntry, error) {
	caller, err := auth.Require(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var problems []string
	switch {
	case amountCents == 0:
		problems = append(problems, "amount must not be zero")
	case !amountInRange(amountCents):
		problems = append(problems, amountRangeProblem(amountCents))
	}
	reason, err = models.NormalizeReason(reason)
	switch {
	case err != nil:
		problems = append(problems, models.ErrorMessage(err))
	case reason == "":
		problems = append(problems, "reason is required")
	}
	if err := problemsError(problems); err != nil {
		return nil, err
	}
	if key = strings.TrimSpace(key); key == "" {
		key = uuid.Must(uuid.NewV7()).String()
	}
	key = "adjustment:" + key
	entry, _, err := l.write(ctx, Entry{
		CustomerID:     customerID,
		Kind:           models.CreditAdjustment,
		AmountCents:    amountCents,
		Reference:      key,
		IdempotencyKey: key,
		Reason:         reason,
		Actor:          caller.Subject,
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("adjust credit: %w", err)
	}
	return entry, nil
}

// CustomerBalance is Balance for a signed-in caller: a customer user reads
// its own balance (customerID "" or its own id), staff name the customer.
// It returns UNAUTHENTICATED or FORBIDDEN as auth.Require does, NOT_FOUND
// for an unknown customer or another customer's, and BAD_USER_INPUT when
// staff name none.
func (l *Ledger) CustomerBalance(ctx context.Context, customerID string) (models.Money, error) {
	id, err := readableCustomer(ctx, customerID)
	if err != nil {
		return models.Money{}, err
	}
	return l.Balance(ctx, id)
}

// Entries returns one page of a customer's entries, newest first: first is
// the page size (1 to 100, 0 means 20), after the cursor of the last entry
// of the previous page. The caller rules and errors are CustomerBalance's,
// and BAD_USER_INPUT for a bad page size or cursor.
func (l *Ledger) Entries(ctx context.Context, customerID string, first int, after string) (*EntryPage, error) {
	id, err := readableCustomer(ctx, customerID)
	if err != nil {
		return nil, err
	}
	size, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	var at time.Time
	var afterID string
	if after != "" {
		if at, afterID, err = decodeCursor(after); err != nil {
			return nil, err
		}
	}
	if err := customerExists(ctx, l.db, id); err != nil {
		return nil, err
	}
	total, err := l.db.NewSelect().Model((*models.CreditEntry)(nil)).Where("ce.customer_id = ?", id).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count credit entries: %w", err)
	}
	q := l.db.NewSelect().Model((*models.CreditEntry)(nil)).
		Where("ce.customer_id = ?", id).
		OrderExpr("ce.created_at DESC, ce.id DESC").
		Limit(int64(size) + 1)
	if afterID != "" {
		q = q.Where("(ce.created_at < ? OR (ce.created_at = ? AND ce.id < ?))", at, at, afterID)
	}
	var rows []*models.CreditEntry
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("credit entries: %w", err)
	}
	p := &EntryPage{TotalCount: int(total)}
	if len(rows) > size {
		rows, p.HasNextPage = rows[:size], true
	}
	p.Entries = rows
	for _, e := range rows {
		p.Cursors = append(p.Cursors, encodeCursor(e.CreatedAt, e.ID))
	}
	return p, nil
}

// SubscriptionMonth names one month ("YYYY-MM") of one subscription.
type SubscriptionMonth struct {
	SubscriptionID string
	Month          string
}

// EarnedFor returns the earned entries of a subscription for months
// ("YYYY-MM"), in the order of months, nil where a month earned none (see
// EarnedByMonths).
func (l *Ledger) EarnedFor(ctx context.Context, subscriptionID string, months []string) ([]*models.CreditEntry, error) {
	keys := make([]SubscriptionMonth, len(months))
	for i, m := range months {
		keys[i] = SubscriptionMonth{SubscriptionID: subscriptionID, Month: m}
	}
	return l.EarnedByMonths(ctx, keys)
}

// EarnedByMonths returns the earned entry of each subscription-month in
// keys, in their order, nil where a month earned none: one query for a
// batch of SLA month reports, whatever their subscriptions. A customer user
// sees only its own customer's entries (nil for others). It returns
// UNAUTHENTICATED or FORBIDDEN for a caller with no role that may read.
func (l *Ledger) EarnedByMonths(ctx context.Context, keys []SubscriptionMonth) ([]*models.CreditEntry, error) {
	scope, err := store.ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*models.CreditEntry, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	subs := make([]string, 0, len(keys))
	months := make([]string, 0, len(keys))
	for _, k := range keys {
		subs = append(subs, k.SubscriptionID)
		months = append(months, k.Month)
	}
	// Pairs outside keys that the two IN lists also match are dropped below.
	var rows []*models.CreditEntry
	q := l.db.NewSelect().Model(&rows).
		Where("ce.kind = ?", models.CreditEarned).
		Where("ce.subscription_id IN (?)", bun.In(subs)).
		Where("ce.month IN (?)", bun.In(months))
	if scope != "" {
		q = q.Where("ce.customer_id = ?", scope)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("earned credits: %w", err)
	}
	byKey := make(map[SubscriptionMonth]*models.CreditEntry, len(rows))
	for _, e := range rows {
		byKey[SubscriptionMonth{SubscriptionID: e.SubscriptionID, Month: e.Month}] = e
	}
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out, nil
}

// BalancesByCustomerIDs returns the balances of customers in the order of
// ids, in one query for a dataloader. Unknown customers, and for a customer
// user every customer but its own, read as a zero balance. It returns
// UNAUTHENTICATED or FORBIDDEN for a caller with no role that may read.
func (l *Ledger) BalancesByCustomerIDs(ctx context.Context, ids []string) ([]models.Money, error) {
	scope, err := store.ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]models.Money, len(ids))
	for i := range out {
		out[i] = money(0)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		CustomerID string `bun:"customer_id"`
		Cents      int64  `bun:"cents"`
	}
	q := l.db.NewSelect().Model((*models.CreditEntry)(nil)).
		ColumnExpr("ce.customer_id").
		ColumnExpr("CAST(SUM(ce.amount_cents) AS bigint) AS cents").
		Where("ce.customer_id IN (?)", bun.In(ids)).
		GroupExpr("ce.customer_id")
	if scope != "" {
		q = q.Where("ce.customer_id = ?", scope)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("credit balances: %w", err)
	}
	byID := make(map[string]int64, len(rows))
	for _, r := range rows {
		byID[r.CustomerID] = r.Cents
	}
	for i, id := range ids {
		out[i] = money(byID[id])
	}
	return out, nil
}

// write checks e and appends it in a transaction of its own (see appendTx
// for upTo). A unique violation means a concurrent writer took the key (or
// the subscription-month) first: the entry it wrote is read back and
// returned when it is the same entry.
func (l *Ledger) write(ctx context.Context, e Entry, upTo int64) (*models.CreditEntry, bool, error) {
	if err := e.check(upTo > 0); err != nil {
		return nil, false, err
	}
	var entry *models.CreditEntry
	var created bool
	err := l.inTx(ctx, func(tx bun.Tx) error {
		var err error
		entry, created, err = l.appendTx(ctx, tx, e, upTo)
		return err
	})
	if store.IsUniqueViolation(err) {
		prev, err := entryByKey(ctx, l.db, e.IdempotencyKey)
		switch {
		case err != nil:
			return nil, false, err
		case prev == nil:
			return nil, false, duplicateError(e)
		}
		if err := e.sameAs(prev, upTo > 0); err != nil {
			return nil, false, err
		}
		return prev, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return entry, created, nil
}

// appendTx appends the checked entry e in tx under a lock on its customer.
// With upTo > 0 the amount is minus the smaller of the balance and upTo, and
// nothing is written when that is zero.
func (l *Ledger) appendTx(ctx context.Context, tx bun.Tx, e Entry, upTo int64) (*models.CreditEntry, bool, error) {
	if err := lockCustomer(ctx, tx, e.CustomerID); err != nil {
		return nil, false, err
	}
	prev, err := entryByKey(ctx, tx, e.IdempotencyKey)
	if err != nil {
		return nil, false, err
	}
	if prev != nil {
		if err := e.sameAs(prev, upTo > 0); err != nil {
			return nil, false, err
		}
		return prev, false, nil
	}
	if e.SubscriptionID != "" {
		if err := subscriptionOf(ctx, tx, e.CustomerID, e.SubscriptionID); err != nil {
			return nil, false, err
		}
	}
	if e.Kind == models.CreditEarned {
		earned, err := tx.NewSelect().Model((*models.CreditEntry)(nil)).
			Where("ce.kind = ? AND ce.subscription_id = ? AND ce.month = ?", models.CreditEarned, e.SubscriptionID, e.Month).
			Exists(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("find earned credit: %w", err)
		}
		if earned {
			return nil, false, duplicateError(e)
		}
	}
	amount := e.AmountCents
	balance, err := balanceTx(ctx, tx, e.CustomerID)
	if err != nil {
		return nil, false, err
	}
	if upTo > 0 {
		if amount = -min(balance, upTo); amount >= 0 {
			return nil, false, nil
		}
	}
	if err := checkBalance(balance, amount); err != nil {
		return nil, false, err
	}
	entry := newEntry(e, amount, l.now().UTC().Truncate(time.Microsecond))
	if _, err := tx.NewInsert().Model(entry).Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("insert credit entry: %w", err)
	}
	return entry, true, nil
}

// check fills e's defaults and checks it, as for DebitUpTo when upTo is
// set. It returns one BAD_USER_INPUT error naming every problem.
func (e *Entry) check(upTo bool) error {
	if e.Currency == "" {
		e.Currency = models.MonthlyFee.Currency
	}
	if e.Actor == "" {
		e.Actor = systemActor
	}
	var problems []string
	if e.CustomerID == "" {
		problems = append(problems, "customer id is required")
	}
	switch {
	case !e.Kind.Valid():
		problems = append(problems, fmt.Sprintf("unknown credit kind %q", e.Kind))
	case upTo && e.Kind == models.CreditEarned:
		problems = append(problems, "only a debit can be up to an amount")
	case upTo && e.AmountCents != 0:
		problems = append(problems, "the amount of a debit up to an amount is set by the ledger")
	case !upTo && !e.Kind.AllowsAmount(e.AmountCents):
		problems = append(problems, fmt.Sprintf("amount %d is not allowed for %s credit", e.AmountCents, e.Kind))
	case !amountInRange(e.AmountCents):
		problems = append(problems, amountRangeProblem(e.AmountCents))
	}
	if e.Currency != models.MonthlyFee.Currency {
		problems = append(problems, fmt.Sprintf("currency must be %s", models.MonthlyFee.Currency))
	}
	for _, f := range []struct{ name, value string }{
		{"idempotency key", e.IdempotencyKey}, {"reference", e.Reference}, {"actor", e.Actor},
	} {
		switch {
		case strings.TrimSpace(f.value) == "":
			problems = append(problems, f.name+" is required")
		case len(f.value) > maxKeyLength:
			problems = append(problems, fmt.Sprintf("%s is longer than %d bytes", f.name, maxKeyLength))
		}
	}
	if err := models.CheckText("reason", e.Reason, maxReasonLength, true); err != nil {
		problems = append(problems, models.ErrorMessage(err))
	}
	switch {
	case e.Kind != models.CreditEarned && e.Month != "":
		problems = append(problems, "only earned credit is for a month")
	case e.Kind == models.CreditEarned && (e.SubscriptionID == "" || !validMonth(e.Month)):
		problems = append(problems, `earned credit needs a subscription and a month "YYYY-MM"`)
	}
	return problemsError(problems)
}

// amountInRange reports whether an entry may carry amountCents: no more
// than models.MaxBalanceCents either way, the most a balance can hold or
// give.
func amountInRange(amountCents int64) bool {
	return amountCents >= -models.MaxBalanceCents && amountCents <= models.MaxBalanceCents
}

// amountRangeProblem says why amountCents is out of range.
func amountRangeProblem(amountCents int64) string {
	return fmt.Sprintf("amount %d is beyond the largest balance: it must lie between %d and %d cents",
		amountCents, -models.MaxBalanceCents, models.MaxBalanceCents)
}

// sameAs returns nil when prev, the entry stored under e's key, is the entry
// e describes (its amount aside for a debit up to an amount), else CONFLICT.
func (e *Entry) sameAs(prev *models.CreditEntry, upTo bool) error {
	if prev.CustomerID != e.CustomerID || prev.Kind != e.Kind || prev.Currency != e.Currency ||
		prev.Reference != e.Reference || prev.Reason != e.Reason ||
		prev.SubscriptionID != e.SubscriptionID || prev.Month != e.Month ||
		(!upTo && prev.AmountCents != e.AmountCents) {
		return models.Errorf(models.CodeConflict, "idempotency key %q was used for a different credit entry", e.IdempotencyKey)
	}
	return nil
}

// duplicateError is the CONFLICT for an entry whose key or whose
// subscription-month credit another entry holds.
func duplicateError(e Entry) error {
	if e.Kind == models.CreditEarned {
		return models.Errorf(models.CodeConflict, "subscription %q has earned its credit for %s already", e.SubscriptionID, e.Month)
	}
	return models.Errorf(models.CodeConflict, "idempotency key %q was used for a different credit entry", e.IdempotencyKey)
}

// lockCustomer locks the customer's row for the rest of tx, so that ledger
// writers of one customer run one after another, or returns NOT_FOUND. On
// PostgreSQL that is a row lock (FOR NO KEY UPDATE, which does not block
// foreign keys to the customer); SQLite transactions hold the database's
// write lock from BEGIN.
func lockCustomer(ctx context.Context, tx bun.Tx, customerID string) error {
	q := tx.NewSelect().TableExpr("customers AS c").Column("c.id").Where("c.id = ?", customerID)
	if store.IsPostgres(tx) {
		q = q.For("NO KEY UPDATE")
	}
	var id string
	switch err := q.Scan(ctx, &id); {
	case errors.Is(err, sql.ErrNoRows):
		return customerNotFound(customerID)
	case err != nil:
		return fmt.Errorf("lock customer: %w", err)
	}
	return nil
}

// customerExists returns NOT_FOUND for an unknown customer.
func customerExists(ctx context.Context, db bun.IDB, customerID string) error {
	ok, err := db.NewSelect().TableExpr("customers AS c").Where("c.id = ?", customerID).Exists(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("find customer: %w", err)
	case !ok:
		return customerNotFound(customerID)
	}
	return nil
}

// subscriptionOf returns NOT_FOUND unless the subscription is the
// customer's.
func subscriptionOf(ctx context.Context, tx bun.Tx, customerID, subscriptionID string) error {
	ok, err := tx.NewSelect().TableExpr("support_subscriptions AS s").
		Where("s.id = ? AND s.customer_id = ?", subscriptionID, customerID).
		Exists(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("find subscription: %w", err)
	case !ok:
		return models.Errorf(models.CodeNotFound, "subscription %q not found", subscriptionID)
	}
	return nil
}

// entryByKey returns the entry with an idempotency key, or nil.
func entryByKey(ctx context.Context, db bun.IDB, key string) (*models.CreditEntry, error) {
	entry := new(models.CreditEntry)
	switch err := db.NewSelect().Model(entry).Where("ce.idempotency_key = ?", key).Scan(ctx); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("find credit entry: %w", err)
	}
	return entry, nil
}

// balanceTx returns the customer's balance in cents as tx sees it.
func balanceTx(ctx context.Context, tx bun.Tx, customerID string) (int64, error) {
	var cents int64
	err := tx.NewSelect().Model((*models.CreditEntry)(nil)).
		ColumnExpr("CAST(COALESCE(SUM(ce.amount_cents), 0) AS bigint)").
		Where("ce.customer_id = ?", customerID).
		Scan(ctx, &cents)
	if err != nil {
		return 0, fmt.Errorf("credit balance: %w", err)
	}
	return cents, nil
}

// inTx runs fn in one transaction of the ledger's database.
func (l *Ledger) inTx(ctx context.Context, fn func(tx bun.Tx) error) error {
	return store.InTx(ctx, l.db, fn)
}

// readableCustomer returns the customer whose ledger the caller asks for:
// its own for a customer user (customerID "" or its own id, NOT_FOUND for
// another), customerID for staff (BAD_USER_INPUT when empty).
func readableCustomer(ctx context.Context, customerID string) (string, error) {
	scope, err := store.ReadScope(ctx)
	switch {
	case err != nil:
		return "", err
	case scope != "" && (customerID == "" || customerID == scope):
		return scope, nil
	case scope != "":
		return "", customerNotFound(customerID)
	case customerID == "":
		return "", models.Errorf(models.CodeBadUserInput, "customer id is required")
	}
	return customerID, nil
}

// customerNotFound is the answer for a customer that does not exist or that
// the caller may not see: the two are never told apart.
func customerNotFound(id string) error {
	return models.Errorf(models.CodeNotFound, "customer %q not found", id)
}

// money returns cents in the ledger currency.
func money(cents int64) models.Money {
	return models.Money{Cents: cents, Currency: models.MonthlyFee.Currency}
}

// validMonth reports whether m is a month "YYYY-MM".
func validMonth(m string) bool {
	t, err := time.Parse("2006-01", m)
	return err == nil && t.Format("2006-01") == m
}

// problemsError returns nil for no problems, else one BAD_USER_INPUT error
// that lists them all.
func problemsError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return models.Errorf(models.CodeBadUserInput, "%s", strings.Join(problems, "; "))
}

// pageSize returns the checked page size or BAD_USER_INPUT.
func pageSize(first int) (int, error) {
	switch {
	case first == 0:
		return defaultPageSize, nil
	case first < 0 || first > maxPageSize:
		return 0, models.Errorf(models.CodeBadUserInput, "first must be between 1 and %d", maxPageSize)
	}
	return first, nil
}

// cursor is the keyset position of an entry in a page: its time and id.
type cursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// encodeCursor returns the opaque cursor of an entry.
func encodeCursor(at time.Time, id string) string {
	b, _ := json.Marshal(cursor{At: at.UTC(), ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the position of an opaque cursor, or BAD_USER_INPUT
// for one this server did not make.
func decodeCursor(s string) (time.Time, string, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" || c.At.IsZero() {
		return time.Time{}, "", models.Errorf(models.CodeBadUserInput, "after is not a valid cursor")
	}
	return c.At.UTC(), c.ID, nil
}

// checkBalance returns CONFLICT when an entry of amount would take a
// balance below zero or past models.MaxBalanceCents.
func checkBalance(balance, amount int64) error {
	switch {
	case amount < 0 && balance+amount < 0:
		return models.Errorf(models.CodeConflict, "balance %s is less than %s", money(balance), money(-amount))
	case amount > 0 && amount > models.MaxBalanceCents-balance:
		return models.Errorf(models.CodeConflict, "balance %s plus %s would exceed the largest balance, %s",
			money(balance), money(amount), money(models.MaxBalanceCents))
	}
	return nil
}

// newEntry is the ledger row of e with amount, created at now.
func newEntry(e Entry, amount int64, now time.Time) *models.CreditEntry {
	return &models.CreditEntry{
		ID:             uuid.Must(uuid.NewV7()).String(),
		CustomerID:     e.CustomerID,
		Kind:           e.Kind,
		AmountCents:    amount,
		Currency:       e.Currency,
		Reference:      e.Reference,
		IdempotencyKey: e.IdempotencyKey,
		Reason:         e.Reason,
		Actor:          e.Actor,
		SubscriptionID: e.SubscriptionID,
		Month:          e.Month,
		CreatedAt:      now,
	}
}
