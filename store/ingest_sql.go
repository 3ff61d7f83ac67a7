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
	lockThread  *Prepared // PostgreSQL only
	thread      *Prepared
	ticketTerms *Prepared
	history     *Prepared
	coverage    *Prepared
}

func newIngestStatements(db *bun.DB) *ingestStatements {
	pg := IsPostgres(db)
	// in is a membership test of column in a list parameter; each is a
	// list parameter as rows (value, pos), pos its place in the list.
	in := func(column string) string {
		if pg {
			return column + " = ANY(CAST(? AS text[]))"
		}
		return column + " IN (SELECT value FROM json_each(?))"
	}
	each := "unnest(CAST(? AS text[])) WITH ORDINALITY AS j (value, pos)"
	if !pg {
		each = "(SELECT value, key AS pos FROM json_each(?)) AS j"
	}
	s := &ingestStatements{postgres: pg, db: db}
	if pg {
		s.lockThread = Prepare(db, "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(? AS bigint[])) AS u (k)")
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

// ready prepares the statements that are not yet, before an ingestion's
// transaction begins (see Prepared.run). A statement that cannot be
// prepared now runs unprepared, and fails there if it must.
func (s *ingestStatements) ready(ctx context.Context) {
	for _, p := range []*Prepared{s.lockThread, s.thread, s.ticketTerms, s.history, s.coverage} {
		if p != nil {
			p.Ready(ctx) //nolint:errcheck // see above
		}
	}
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
