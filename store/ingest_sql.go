package store

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// ingestStatements are the reads every ingestion runs, prepared once per
// connection (see Prepared): parsing and planning them anew each time was
// about half of PostgreSQL's CPU per message. Lists (a message's
// references, a domain and its parents) go in as one parameter: an array
// on PostgreSQL, a JSON array read with json_each on SQLite, so that each
// statement has one text whatever the list's length.
type ingestStatements struct {
	postgres    bool
	db          *bun.DB
	thread      *Prepared
	ticketTerms *Prepared
	history     *Prepared
	coverage    *Prepared
	// lockThread and ticketWrite are PostgreSQL's alone; a pgSession
	// prepares them, with the reads, on its connection.
	lockThread  string
	ticketWrite string
}

func newIngestStatements(db *bun.DB) *ingestStatements {
	pg := IsPostgres(db)
	in := func(column string) string { return inList(pg, column) }
	// each is a list parameter as rows (value, pos), pos its place in the
	// list.
	each := "unnest(CAST(? AS text[])) WITH ORDINALITY AS j (value, pos)"
	if !pg {
		each = "(SELECT value, key AS pos FROM json_each(?)) AS j"
	}
	s := &ingestStatements{postgres: pg, db: db}
	if pg {
		s.lockThread = "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST($1 AS bigint[])) AS u (k)"
		s.ticketWrite = ingestWrite
	}
	// threadOf's candidates: the arguments are the message's id, its
	// references three times, and its id again.
	s.thread = Prepare(db, `SELECT t.id AS duplicate, t.customer_id AS customer_id, t.priority AS priority,
(SELECT min(r.ticket_id) FROM ticket_message_refs AS r WHERE r.ref = ?) AS referrer,
(SELECT m.ticket_id FROM ticket_messages AS m WHERE `+in("m.message_id")+` ORDER BY m.received_at DESC, m.id DESC LIMIT 1) AS referenced,
CASE WHEN NOT EXISTS (SELECT 1 FROM ticket_messages AS m WHERE `+in("m.message_id")+`)
THEN (SELECT r.ticket_id FROM ticket_message_refs AS r JOIN `+each+` ON j.value = r.ref ORDER BY j.pos, r.ticket_id LIMIT 1) END AS sibling
FROM (SELECT 1 AS one) AS one
LEFT JOIN ticket_messages AS dm ON dm.message_id = ?
LEFT JOIN tickets AS t ON t.id = dm.ticket_id`)
	// The ticket's columns are named, not t.*: a prepared t.* would fail
	// on PostgreSQL once a migration adds a column ("cached plan must not
	// change result type").
	var columns []string
	for _, f := range db.Table(reflect.TypeFor[models.Ticket]()).Fields {
		columns = append(columns, "t."+string(f.SQLName))
	}
	terms := db.NewSelect().Model((*models.Ticket)(nil)).ColumnExpr(strings.Join(columns, ", ")).
		ColumnExpr("s.sla_timezone, s.first_response_target_seconds, s.follow_up_target_seconds").
		Join("LEFT JOIN support_subscriptions AS s ON s.id = t.subscription_id").
		Where("t.id = ?", bun.Safe("?"))
	if pg {
		terms = terms.For("UPDATE OF t")
	}
	s.ticketTerms = Prepare(db, terms.String())
	// loadHistory's rows: the argument is the ticket's id, three times.
	s.history = Prepare(db, `SELECT 0 AS kind, m.received_at AS at, m.id AS id, m.direction AS direction, m.machine AS machine, '' AS action,
(SELECT coalesce(max(k.seq), 0) FROM sla_clocks AS k WHERE k.ticket_id = ?) AS max_seq
FROM ticket_messages AS m WHERE m.ticket_id = ?
UNION ALL SELECT 1, ta.at, ta.id, '', '', ta.kind, 0 FROM ticket_actions AS ta WHERE ta.ticket_id = ?
ORDER BY 1, 2, 3`)
	// coverageAt's row: the arguments are the instant twice, the domain
	// with its parents, and the instant five times.
	s.coverage = Prepare(db, `SELECT sd.subscription_id, sd.customer_id,
EXISTS (SELECT 1 FROM licenses AS l WHERE l.customer_id = sd.customer_id AND l.paid AND l.valid_from <= ? AND l.valid_until > ?) AS licensed,
s.sla_timezone, s.first_response_target_seconds, s.follow_up_target_seconds
FROM subscription_domains AS sd JOIN support_subscriptions AS s ON s.id = sd.subscription_id
WHERE `+in("sd.domain")+` AND sd.added_at <= ? AND (sd.removed_at IS NULL OR sd.removed_at > ?)
AND s.starts_at <= ? AND (s.canceled_at IS NULL OR s.canceled_at > ?) AND (s.expired_at IS NULL OR s.expired_at > ?)
ORDER BY length(sd.domain) DESC, sd.added_at ASC, sd.id ASC LIMIT 1`)
	return s
}

// ready prepares the reads that are not yet, before an ingestion's
// transaction begins on SQLite (see Prepared.run). A statement that cannot
// be prepared now runs unprepared, and fails there if it must.
func (s *ingestStatements) ready(ctx context.Context) {
	for _, p := range []*Prepared{s.thread, s.ticketTerms, s.history, s.coverage} {
		p.Ready(ctx) //nolint:errcheck // see above
	}
}

// inList is a membership test of column in a list parameter of a prepared
// statement, bound with ingestStatements.list.
func inList(postgres bool, column string) string {
	if postgres {
		return column + " = ANY(CAST(? AS text[]))"
	}
	return column + " IN (SELECT value FROM json_each(?))"
}

// list is a list parameter of the statements above.
func (s *ingestStatements) list(values []string) any {
	if s.postgres {
		return values
	}
	if values == nil {
		values = []string{}
	}
	b, _ := json.Marshal(values) // strings always marshal
	return string(b)
}

// instant is a time parameter, compared with the times Bun stored: on
// SQLite those are text in Bun's format, which the driver's own format for
// a bound time.Time does not match.
func (s *ingestStatements) instant(t time.Time) any {
	if s.postgres {
		return t
	}
	return strings.Trim(string(s.db.Dialect().AppendTime(nil, t)), "'")
}

// ingestWrite is an ingestion's writes on PostgreSQL as one prepared
// statement of one fixed text, whatever the message: the ticket (inserted,
// or its columns updated when it exists), its stored messages' customer
// when an earlier opening message changed it ($14), the new message, the
// ids it refers to, the clocks past the new count deleted and the others
// inserted or updated in place (keeping the alert level sent for a clock
// that still starts at the same time and is still running or still
// stopped), and the ticket_updated notification when $49 names a channel.
// Lists go in as arrays. Built by Bun, the same writes had a text per
// message, planned anew each time.
const ingestWrite = `WITH tk AS (
INSERT INTO tickets AS t (id, customer_id, subscription_id, priority, status, subject, requester_email,
  opened_at, resolved_at, current_due_at, last_message_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, subscription_id = EXCLUDED.subscription_id,
  priority = EXCLUDED.priority, subject = EXCLUDED.subject, requester_email = EXCLUDED.requester_email,
  opened_at = EXCLUDED.opened_at, status = EXCLUDED.status, resolved_at = EXCLUDED.resolved_at,
  current_due_at = EXCLUDED.current_due_at, last_message_at = EXCLUDED.last_message_at, updated_at = EXCLUDED.updated_at
RETURNING NULL
), mc AS (
UPDATE ticket_messages SET customer_id = $2 WHERE ticket_id = $1 AND CAST($14 AS boolean) RETURNING NULL
), msg AS (
INSERT INTO ticket_messages (id, ticket_id, customer_id, message_id, direction, machine, from_address, from_name,
  to_addresses, subject, received_at, sent_at, in_reply_to, refs, body_text, attachments, size_bytes, created_at)
VALUES ($15, $1, $31, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)
RETURNING NULL
), rf AS (
INSERT INTO ticket_message_refs (ref, message_id, ticket_id)
SELECT u.ref, $16, $1 FROM unnest(CAST($32 AS text[])) AS u (ref)
RETURNING NULL
), del AS (
DELETE FROM sla_clocks WHERE ticket_id = $1 AND seq > CAST($33 AS bigint) RETURNING NULL
), ck AS (
INSERT INTO sla_clocks AS k (id, ticket_id, seq, subscription_id, customer_id, kind, month, started_at, due_at,
  target_seconds, stopped_at, stopped_by, business_seconds, met, alert_level, updated_at)
SELECT u.id, $1, u.seq, u.subscription_id, u.customer_id, u.kind, u.month, u.started_at, u.due_at,
  u.target_seconds, u.stopped_at, u.stopped_by, u.business_seconds, u.met, u.alert_level, u.updated_at
FROM unnest(CAST($34 AS text[]), CAST($35 AS bigint[]), CAST($36 AS text[]), CAST($37 AS text[]), CAST($38 AS text[]),
  CAST($39 AS text[]), CAST($40 AS timestamptz[]), CAST($41 AS timestamptz[]), CAST($42 AS bigint[]),
  CAST($43 AS timestamptz[]), CAST($44 AS text[]), CAST($45 AS bigint[]), CAST($46 AS boolean[]), CAST($47 AS text[]),
  CAST($48 AS timestamptz[]))
  AS u (id, seq, subscription_id, customer_id, kind, month, started_at, due_at, target_seconds, stopped_at,
  stopped_by, business_seconds, met, alert_level, updated_at)
ON CONFLICT (ticket_id, seq) DO UPDATE SET subscription_id = EXCLUDED.subscription_id,
  customer_id = EXCLUDED.customer_id, kind = EXCLUDED.kind, month = EXCLUDED.month,
  started_at = EXCLUDED.started_at, due_at = EXCLUDED.due_at, target_seconds = EXCLUDED.target_seconds,
  stopped_at = EXCLUDED.stopped_at, stopped_by = EXCLUDED.stopped_by, business_seconds = EXCLUDED.business_seconds,
  met = EXCLUDED.met,
  alert_level = CASE WHEN k.started_at = EXCLUDED.started_at AND (k.stopped_at IS NULL) = (EXCLUDED.stopped_at IS NULL)
    THEN k.alert_level ELSE EXCLUDED.alert_level END,
  updated_at = EXCLUDED.updated_at
WHERE ` + clockChanged + `
RETURNING NULL
)
SELECT pg_notify($49, $50) WHERE CAST($49 AS text) <> ''`

// clockChanged is the condition of a stored clock's update in place: a
// clock the replay gives as it is stored keeps its row as it is (no new row
// version, no index entries, updated_at when it last changed). Most of a
// reply's clocks are the thread's earlier ones, unchanged.
const clockChanged = `(k.subscription_id IS DISTINCT FROM EXCLUDED.subscription_id OR k.customer_id IS DISTINCT FROM EXCLUDED.customer_id
  OR k.kind IS DISTINCT FROM EXCLUDED.kind OR k.month IS DISTINCT FROM EXCLUDED.month
  OR k.started_at IS DISTINCT FROM EXCLUDED.started_at OR k.due_at IS DISTINCT FROM EXCLUDED.due_at
  OR k.target_seconds IS DISTINCT FROM EXCLUDED.target_seconds OR k.stopped_at IS DISTINCT FROM EXCLUDED.stopped_at
  OR k.stopped_by IS DISTINCT FROM EXCLUDED.stopped_by OR k.business_seconds IS DISTINCT FROM EXCLUDED.business_seconds
  OR k.met IS DISTINCT FROM EXCLUDED.met)`

// writeArgs are ingestWrite's arguments for w, an ingestion's writes (a
// new message, no action), with the notification on channel ch with
// payload when ch is not "".
func (s *ingestStatements) writeArgs(w *ticketWrite, ch, payload string) []any {
	t, m := &w.ticket.Ticket, w.message
	refs := make([]string, len(w.refs))
	for i, r := range w.refs {
		refs[i] = r.Ref
	}
	n := len(w.clocks)
	var (
		ids, subs, customers, kinds, months, alerts = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		seqs, targets                               = make([]int64, n), make([]int64, n)
		starts, dues, updated                       = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		stops                                       = make([]*time.Time, n)
		stoppedBy                                   = make([]*string, n)
		business                                    = make([]*int64, n)
		met                                         = make([]*bool, n)
	)
	for i := range w.clocks {
		c := &w.clocks[i]
		ids[i], subs[i], customers[i], kinds[i], months[i], alerts[i] = c.ID, c.SubscriptionID, c.CustomerID, c.Kind, c.Month, c.AlertLevel
		seqs[i], targets[i] = int64(c.Seq), c.TargetSeconds
		starts[i], dues[i], updated[i] = c.StartedAt, c.DueAt, c.UpdatedAt
		if !c.StoppedAt.IsZero() {
			stops[i] = &c.StoppedAt
		}
		if c.StoppedBy != "" {
			stoppedBy[i] = &c.StoppedBy
		}
		business[i], met[i] = c.BusinessSeconds, c.Met
	}
	return []any{
		t.ID, NullString(t.CustomerID), NullString(t.SubscriptionID), t.Priority, t.Status, t.Subject, t.RequesterEmail,
		t.OpenedAt, NullTime(t.ResolvedAt), NullTime(t.CurrentDueAt), t.LastMessageAt, t.CreatedAt, t.UpdatedAt,
		w.customerChanged,
		m.ID, m.MessageID, m.Direction, m.Machine, m.FromAddress, m.FromName, m.ToAddresses, m.Subject,
		m.ReceivedAt, NullTime(m.SentAt), m.InReplyTo, m.References, m.BodyText, m.Attachments, m.SizeBytes, m.CreatedAt,
		NullString(m.CustomerID),
		refs,
		n, ids, seqs, subs, customers, kinds, months, starts, dues, targets, stops, stoppedBy, business, met, alerts, updated,
		ch, payload,
	}
}

// pgStatements are the texts of the statements an ingestion prepares on a
// PostgreSQL connection (see pgSession).
func (s *ingestStatements) pgStatements() []string {
	return []string{s.lockThread, s.thread.query, s.ticketTerms.query, s.history.query, s.coverage.query, s.ticketWrite}
}

// NullString is s as a bound parameter of a nullzero column: NULL when s
// is empty, as Bun writes it.
func NullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// NullTime is t as a bound parameter of a nullzero column: NULL when t is
// zero, as Bun writes it.
func NullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
