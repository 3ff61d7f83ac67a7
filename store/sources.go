package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
)

// Bounds of what a mail source records.
const (
	// MaxSourceName is the longest source name, in bytes.
	MaxSourceName = 200
	// MaxRefusalText is the longest refusal reason or reference kept, in
	// bytes; longer text is cut.
	MaxRefusalText = 500
	// RefusalsKept is how many of its last refusals each source keeps.
	RefusalsKept = 20
)

// MailSource is one source of mail (an IMAP folder such as "imap:INBOX", a
// provider webhook such as "webhook:mailgun") with its intake statistics.
type MailSource struct {
	bun.BaseModel `bun:"table:mail_sources,alias:ms"`

	Source        string    `bun:"source,pk"`
	Taken         int64     `bun:"taken,notnull"`            // messages ingested (duplicates included)
	Refused       int64     `bun:"refused,notnull"`          // messages refused (unparseable, too large)
	LastMessageAt time.Time `bun:"last_message_at,nullzero"` // the newest received time of a message taken
	LastIntakeAt  time.Time `bun:"last_intake_at,nullzero"`  // when the source last delivered a message, taken or refused
	LagSeconds    int64     `bun:"lag_seconds,nullzero"`     // for the last message taken: ingestion time − received time
	LastRefusedAt time.Time `bun:"last_refused_at,nullzero"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	UpdatedAt     time.Time `bun:"updated_at,notnull"`

	// Refusals are the source's last refusals, newest first (at most
	// RefusalsKept).
	Refusals []*MailSourceRefusal `bun:"-"`
}

// MailSourceRefusal is one message a source refused.
type MailSourceRefusal struct {
	bun.BaseModel `bun:"table:mail_source_refusals,alias:mr"`

	ID        string    `bun:"id,pk"`
	Source    string    `bun:"source,notnull"`
	Ref       string    `bun:"ref,notnull"` // where the message is: "INBOX/UIDVALIDITY/UID", a provider's id, or ""
	Reason    string    `bun:"reason,notnull"`
	RefusedAt time.Time `bun:"refused_at,notnull"`
}

// MailboxProgress is how far a mailbox connector has read one folder of
// one account: the folder's UIDVALIDITY and the highest UID whose message
// is committed.
type MailboxProgress struct {
	bun.BaseModel `bun:"table:mailbox_progress,alias:mp"`

	Account     string    `bun:"account,pk"`
	Folder      string    `bun:"folder,pk"`
	UIDValidity uint32    `bun:"uid_validity,notnull"`
	LastUID     uint32    `bun:"last_uid,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

// RecordIntake counts one message a source delivered: taken when refused is
// empty, else refused for that reason (the reason is kept among the
// source's last refusals). at is the message's received time (for a taken
// one: the source's last message time and lag); zero means now. Pass the
// ingestion's transaction as db (see AlsoInTx) so the count is committed
// with the message; nil means the store's database. It returns
// BAD_USER_INPUT for an empty or over-long source name or one with control
// characters.
func (s *Store) RecordIntake(ctx context.Context, db bun.IDB, source string, at time.Time, refused string) error {
	return s.RecordRefusal(ctx, db, source, "", at, refused)
}

// RecordRefusal is RecordIntake with where the refused message is (ref,
// such as an IMAP folder and UID), kept with the reason. With an empty
// reason it counts a taken message and ignores ref.
func (s *Store) RecordRefusal(ctx context.Context, db bun.IDB, source, ref string, at time.Time, reason string) error {
	if err := checkSourceName(source); err != nil {
		return err
	}
	if db == nil {
		db = s.db
	}
	now := s.Now()
	if at.IsZero() {
		at = now
	}
	at = at.UTC().Truncate(time.Microsecond)
	if reason == "" {
		lag := max(int64(now.Sub(at)/time.Second), 0)
		_, err := db.NewRaw(`INSERT INTO mail_sources AS ms (source, taken, refused, last_message_at, last_intake_at, lag_seconds, created_at, updated_at)
			VALUES (?, 1, 0, ?, ?, ?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET taken = ms.taken + 1,
				last_message_at = CASE WHEN ms.last_message_at IS NULL OR excluded.last_message_at > ms.last_message_at
					THEN excluded.last_message_at ELSE ms.last_message_at END,
				last_intake_at = excluded.last_intake_at, lag_seconds = excluded.lag_seconds, updated_at = excluded.updated_at`,
			source, at, now, lag, now, now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("record intake: %w", err)
		}
		return nil
	}
	_, err := db.NewRaw(`INSERT INTO mail_sources AS ms (source, taken, refused, last_intake_at, last_refused_at, created_at, updated_at)
		VALUES (?, 0, 1, ?, ?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET refused = ms.refused + 1,
			last_intake_at = excluded.last_intake_at, last_refused_at = excluded.last_refused_at, updated_at = excluded.updated_at`,
		source, now, now, now, now).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record refusal: %w", err)
	}
	row := &MailSourceRefusal{ID: newID(), Source: source, Ref: cut(ref), Reason: cut(reason), RefusedAt: now}
	if _, err := db.NewInsert().Model(row).Exec(ctx); err != nil {
		return fmt.Errorf("record refusal: %w", err)
	}
	// Keep the last RefusalsKept: ids are time-ordered.
	_, err = db.NewDelete().Model((*MailSourceRefusal)(nil)).Where("source = ?", source).
		Where("id NOT IN (?)", db.NewSelect().Model((*MailSourceRefusal)(nil)).Column("id").
			Where("source = ?", source).Order("id DESC").Limit(RefusalsKept)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record refusal: %w", err)
	}
	return nil
}

// checkSourceName returns BAD_USER_INPUT unless name is a usable source
// name: not empty, at most MaxSourceName bytes of UTF-8 without control
// characters.
func checkSourceName(name string) error {
	if name == "" || len(name) > MaxSourceName || !utf8.ValidString(name) ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return models.Errorf(models.CodeBadUserInput, "mail source name must be 1 to %d printable characters", MaxSourceName)
	}
	return nil
}

// cut returns text as valid UTF-8 without control characters, at most
// MaxRefusalText bytes.
func cut(text string) string {
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, "\uFFFD"))
	for len(text) > MaxRefusalText {
		_, size := utf8.DecodeLastRuneInString(text[:MaxRefusalText])
		text = text[:MaxRefusalText-size]
	}
	return text
}

// MailSources lists every mail source with its statistics and last
// refusals, by name, for operators. It returns UNAUTHENTICATED without a
// caller and FORBIDDEN unless the caller is support or admin.
func (s *Store) MailSources(ctx context.Context) ([]*MailSource, error) {
	if _, err := auth.Require(ctx, auth.RoleSupport, auth.RoleAdmin); err != nil {
		return nil, err
	}
	var sources []*MailSource
	if err := s.db.NewSelect().Model(&sources).Order("ms.source").Scan(ctx); err != nil {
		return nil, fmt.Errorf("mail sources: %w", err)
	}
	if len(sources) == 0 {
		return sources, nil
	}
	var refusals []*MailSourceRefusal
	if err := s.db.NewSelect().Model(&refusals).Order("mr.source", "mr.id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("mail sources: %w", err)
	}
	by := make(map[string]*MailSource, len(sources))
	for _, src := range sources {
		by[src.Source] = src
	}
	for _, r := range refusals {
		if src := by[r.Source]; src != nil && len(src.Refusals) < RefusalsKept {
			src.Refusals = append(src.Refusals, r)
		}
	}
	return sources, nil
}

// MailboxProgressOf returns how far account's folder has been read; a zero
// MailboxProgress (UIDValidity 0) when it never was.
func (s *Store) MailboxProgressOf(ctx context.Context, account, folder string) (MailboxProgress, error) {
	p := MailboxProgress{Account: account, Folder: folder}
	err := s.db.NewSelect().Model(&p).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return MailboxProgress{Account: account, Folder: folder}, nil
	}
	if err != nil {
		return MailboxProgress{}, fmt.Errorf("mailbox progress: %w", err)
	}
	return p, nil
}

// SaveMailboxProgress records that account's folder has been read up to
// lastUID under uidValidity, on db (the ingestion's transaction, so the
// progress commits with the message; nil means the store's database). Under
// the same UIDVALIDITY the progress never moves back, so a late or
// concurrent run cannot undo a later one; a new UIDVALIDITY replaces it.
func (s *Store) SaveMailboxProgress(ctx context.Context, db bun.IDB, account, folder string, uidValidity, lastUID uint32) error {
	if db == nil {
		db = s.db
	}
	_, err := db.NewRaw(`INSERT INTO mailbox_progress AS mp (account, folder, uid_validity, last_uid, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account, folder) DO UPDATE SET
			last_uid = CASE WHEN mp.uid_validity = excluded.uid_validity AND mp.last_uid > excluded.last_uid
				THEN mp.last_uid ELSE excluded.last_uid END,
			uid_validity = excluded.uid_validity, updated_at = excluded.updated_at`,
		account, folder, int64(uidValidity), int64(lastUID), s.Now()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save mailbox progress: %w", err)
	}
	return nil
}

// TryLease takes the exclusive lease called name, so that a piece of work
// (one IMAP account's run) is done by one process at a time across
// replicas: on PostgreSQL a session advisory lock held on a connection of
// its own, elsewhere a lock in this process (SQLite has one process). It
// returns ok false, without waiting, when another holder has it; release
// gives it back and must be called once when ok.
func (s *Store) TryLease(ctx context.Context, name string) (release func(), ok bool, err error) {
	if _, held := s.leases.LoadOrStore(name, struct{}{}); held {
		return nil, false, nil
	}
	local := func() { s.leases.Delete(name) }
	if !IsPostgres(s.db) {
		return local, true, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		local()
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	key := leaseKey(name)
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", key).Scan(&ok); err != nil || !ok {
		conn.Close()
		local()
		if err != nil {
			return nil, false, fmt.Errorf("lease %s: %w", name, err)
		}
		return nil, false, nil
	}
	return func() {
		// The unlock needs a live context: the run's may have ended. A
		// failed unlock closes the connection, which releases the lock too.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?)", key); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
		local()
	}, true, nil
}

// leaseKey maps a lease name to an advisory-lock key, apart from the keys
// of thread and domain locks by a fixed prefix in the hash.
func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("lease:" + name))
	return int64(h.Sum64())
}
