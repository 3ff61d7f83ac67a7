package mailbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/mail"
	"github.com/prioritysupport/backend/metrics"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// Receiver ingests one raw message, running also in the ingestion's
// transaction: inbound.Handler.Receive. A message it cannot parse returns a
// *mail.ParseError.
type Receiver interface {
	Receive(ctx context.Context, raw []byte, also store.AlsoInTx) (models.IngestResult, error)
}

// Connector reads the configured folders of one mailbox. Build it with New;
// each Run is independent, so it may be rebuilt for every run.
type Connector struct {
	cfg     Config
	recv    Receiver
	store   *store.Store
	metrics *metrics.Sources
	log     *slog.Logger
	// afterMessage, when set, runs after each message is committed (taken,
	// duplicate or refused): tests stop a run part-way with it.
	afterMessage func(folder string, uid imap.UID)
	// idleStarted, when set, receives a value each time IDLE is running.
	idleStarted chan struct{}
	// noIdle makes a run return once caught up (tests).
	noIdle bool
}

// New returns a connector for cfg that ingests through recv and keeps its
// progress and statistics in st. m may be nil (no metrics); log nil means
// slog.Default().
func New(cfg Config, recv Receiver, st *store.Store, m *metrics.Sources, log *slog.Logger) *Connector {
	if log == nil {
		log = slog.Default()
	}
	return &Connector{cfg: cfg.withDefaults(), recv: recv, store: st, metrics: m, log: log}
}

// Stats is what one run did, per folder.
type Stats struct {
	Folders map[string]*FolderStats
	// Skipped is true when another run was reading the account, so this
	// one read nothing.
	Skipped bool
}

// FolderStats counts one folder's messages of a run.
type FolderStats struct {
	Taken, Duplicates, Refused int
	// Rescanned is true when the folder's UIDVALIDITY had changed and it
	// was read again from its start.
	Rescanned bool
}

// total returns the messages of every folder.
func (s Stats) total() (taken, duplicates, refused int) {
	for _, f := range s.Folders {
		taken, duplicates, refused = taken+f.Taken, duplicates+f.Duplicates, refused+f.Refused
	}
	return
}

// folderOf returns the stats of folder, added when missing.
func (s *Stats) folderOf(name string) *FolderStats {
	if s.Folders == nil {
		s.Folders = map[string]*FolderStats{}
	}
	f := s.Folders[name]
	if f == nil {
		f = &FolderStats{}
		s.Folders[name] = f
	}
	return f
}

// SourceName returns the mail-source name of an IMAP folder: "imap:INBOX".
func SourceName(folder string) string { return "imap:" + folder }

// Run connects, logs in and reads every configured folder from where the
// last run stopped; then, when the server supports IDLE, it waits for new
// mail in the first folder (re-reading every folder when some comes) until
// cfg.RunMax has passed since it started, and returns so the next run
// continues. A run that reaches RunMax while catching up stops each folder
// after its current batch (every folder reads at least one batch a run). It returns a *LoginError when the server refuses the
// credentials, and ctx's error when ctx ends; the messages committed until
// then stay committed.
//
// One run at a time reads an account, across replicas (store.TryLease): a
// run that finds another still going (the last one overran its period)
// returns at once with Stats.Skipped set, instead of reading the same
// messages twice.
func (c *Connector) Run(ctx context.Context) (Stats, error) {
	var stats Stats
	release, ok, err := c.store.TryLease(ctx, "imap:"+c.cfg.Account())
	if err != nil {
		return stats, err
	}
	if !ok {
		stats.Skipped = true
		logging.For(ctx, c.log).InfoContext(ctx, "imap mailbox is being read by another run; this one is skipped", "account", c.cfg.Account())
		return stats, nil
	}
	defer release()
	err = c.run(ctx, &stats)
	c.metrics.Run("imap", err)
	if taken, dups, refused := stats.total(); taken+dups+refused > 0 {
		logging.For(ctx, c.log).InfoContext(ctx, "imap mailbox read", "account", c.cfg.Account(),
			"taken", taken, "duplicates", dups, "refused", refused)
	}
	return stats, err
}

// run is Run's work.
func (c *Connector) run(ctx context.Context, stats *Stats) error {
	if !c.cfg.Enabled() {
		return errors.New("imap connector: no server configured (PS_IMAP_URL)")
	}
	deadline := time.Now().Add(c.cfg.RunMax)
	s, err := dial(ctx, c.cfg)
	if err != nil {
		return err
	}
	defer s.logout()
	all, err := s.list()
	if err != nil {
		return c.failed(ctx, err)
	}
	names, missing := resolve(c.cfg.Folders, all)
	for _, m := range missing {
		logging.For(ctx, c.log).WarnContext(ctx, "imap folder not found; not read", "folder", m, "account", c.cfg.Account())
	}
	if len(names) == 0 {
		return fmt.Errorf("imap account %s has none of the folders %v", c.cfg.Account(), c.cfg.Folders)
	}
	// The first folder is read last, so it stays selected for IDLE.
	order := append(slices.Clone(names[1:]), names[0])
	idle := s.client.Caps().Has(imap.CapIdle) || s.client.Caps().Has(imap.CapIMAP4rev2)
	for {
		// Any announcement so far is covered by the reads that follow.
		select {
		case <-s.newMail:
		default:
		}
		caughtUp := true
		for _, name := range order {
			done, err := c.readFolder(ctx, s, name, deadline, stats.folderOf(name))
			if err != nil {
				return c.failed(ctx, err)
			}
			caughtUp = caughtUp && done
		}
		wait := time.Until(deadline)
		if !caughtUp || !idle || c.noIdle || wait <= 0 {
			return nil // out of time, or nothing to wait with: the next run continues
		}
		more, err := c.idle(ctx, s, wait)
		if err != nil {
			return c.failed(ctx, err)
		}
		if !more {
			return nil
		}
	}
}

// failed returns ctx's error when ctx has ended (the connection was closed
// because of it), else err.
func (c *Connector) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// idle waits with IDLE for new mail in the selected folder, at most wait.
// It reports whether some came.
func (c *Connector) idle(ctx context.Context, s *session, wait time.Duration) (bool, error) {
	cmd, err := s.client.Idle()
	if err != nil {
		return false, fmt.Errorf("idle: %w", err)
	}
	if c.idleStarted != nil {
		select {
		case c.idleStarted <- struct{}{}:
		default:
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	more := false
	select {
	case <-s.newMail:
		more = true
	case <-timer.C:
	case <-ctx.Done():
	}
	if err := cmd.Close(); err != nil {
		return false, fmt.Errorf("idle: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return false, fmt.Errorf("idle: %w", err)
	}
	return more, ctx.Err()
}

// meta is what a batch's first fetch learns of a message.
type meta struct {
	size    int64
	arrived time.Time // INTERNALDATE: when the server received it
}

// readFolder selects folder and reads its messages past the saved
// progress, in UID order, in batches. done is false when the run's
// deadline came before the folder was read to its end.
func (c *Connector) readFolder(ctx context.Context, s *session, folder string, deadline time.Time, st *FolderStats) (done bool, err error) {
	sel, err := s.client.Select(folder, &imap.SelectOptions{ReadOnly: !c.cfg.MarkSeen}).Wait()
	if err != nil {
		return false, fmt.Errorf("select %q: %w", folder, err)
	}
	account := c.cfg.Account()
	prog, err := c.store.MailboxProgressOf(ctx, account, folder)
	if err != nil {
		return false, err
	}
	last := imap.UID(prog.LastUID)
	if prog.UIDValidity != sel.UIDValidity {
		if prog.UIDValidity != 0 {
			st.Rescanned = true
			logging.For(ctx, c.log).WarnContext(ctx, "imap folder's UIDVALIDITY changed: reading it again from the start (messages stored before are skipped as duplicates)",
				"folder", folder, "account", account, "was", prog.UIDValidity, "now", sel.UIDValidity)
		}
		last = 0
		if err := c.store.SaveMailboxProgress(ctx, nil, account, folder, sel.UIDValidity, 0); err != nil {
			return false, err
		}
	}
	if sel.NumMessages == 0 || (sel.UIDNext != 0 && sel.UIDNext <= last+1) {
		return true, nil
	}
	found, err := s.client.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: last + 1, Stop: 0}}}}, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("search %q: %w", folder, err)
	}
	var uids []imap.UID
	for _, uid := range found.AllUIDs() {
		if uid > last { // "n:*" also matches the highest UID when it is below n
			uids = append(uids, uid)
		}
	}
	slices.Sort(uids)
	for len(uids) > 0 {
		n := min(len(uids), c.cfg.Batch)
		if err := c.readBatch(ctx, s, folder, sel.UIDValidity, uids[:n], st); err != nil {
			return false, err
		}
		uids = uids[n:]
		if len(uids) > 0 && time.Now().After(deadline) {
			return false, nil // every folder reads a batch a run at least
		}
	}
	return true, nil
}

// readBatch reads the messages of uids (ascending): their sizes and
// arrival times first, then the bodies of those under the message cap, at
// most cfg.BatchBytes at a time, each ingested with the folder's progress in
// its transaction, in UID order.
func (c *Connector) readBatch(ctx context.Context, s *session, folder string, validity uint32, uids []imap.UID, st *FolderStats) error {
	var set imap.UIDSet
	set.AddNum(uids...)
	bufs, err := s.client.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil {
		return fmt.Errorf("fetch sizes in %q: %w", folder, err)
	}
	metas := make(map[imap.UID]meta, len(bufs))
	for _, b := range bufs {
		metas[b.UID] = meta{size: b.RFC822Size, arrived: b.InternalDate}
	}
	for len(uids) > 0 {
		// The next group: messages up to BatchBytes (at least one).
		var group []imap.UID
		var bytes int64
		for _, uid := range uids {
			m := metas[uid]
			if len(group) > 0 && m.size <= c.cfg.MaxMessageBytes && bytes+m.size > c.cfg.BatchBytes {
				break
			}
			group = append(group, uid)
			if m.size <= c.cfg.MaxMessageBytes {
				bytes += m.size
			}
		}
		uids = uids[len(group):]
		bodies, err := c.fetchBodies(s, folder, group, metas)
		if err != nil {
			return err
		}
		for _, uid := range group {
			if err := c.take(ctx, folder, validity, uid, metas, bodies, st); err != nil {
				return err
			}
			delete(bodies, uid)
		}
		if c.cfg.MarkSeen {
			var seen imap.UIDSet
			seen.AddNum(group...)
			if err := s.client.Store(seen, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
				return fmt.Errorf("mark seen in %q: %w", folder, err)
			}
		}
	}
	return nil
}

// tooLarge marks a body that was over the message cap.
var tooLarge = []byte(nil)

// fetchBodies fetches the whole messages of group whose size is under the
// cap, without setting \Seen; each is read up to the cap plus one byte, so
// a message whose size was misreported is still caught.
func (c *Connector) fetchBodies(s *session, folder string, group []imap.UID, metas map[imap.UID]meta) (map[imap.UID][]byte, error) {
	var set imap.UIDSet
	for _, uid := range group {
		if m, ok := metas[uid]; ok && m.size <= c.cfg.MaxMessageBytes {
			set.AddNum(uid)
		}
	}
	bodies := make(map[imap.UID][]byte, len(group))
	if len(set) == 0 {
		return bodies, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	cmd := s.client.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var uid imap.UID
		var raw []byte
		var readErr error
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = item.UID
			case imapclient.FetchItemDataBodySection:
				if item.Literal != nil {
					raw, readErr = io.ReadAll(io.LimitReader(item.Literal, c.cfg.MaxMessageBytes+1))
				}
			}
		}
		if readErr != nil {
			cmd.Close() //nolint:errcheck // the read error is returned
			return nil, fmt.Errorf("fetch messages in %q: %w", folder, readErr)
		}
		if uid == 0 || raw == nil {
			continue
		}
		if int64(len(raw)) > c.cfg.MaxMessageBytes {
			raw = tooLarge
		}
		bodies[uid] = raw
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch messages in %q: %w", folder, err)
	}
	return bodies, nil
}

// take ingests the message uid of folder with the folder's progress in its
// transaction; a message the parser or the store refuses as bad input, or
// one over the cap, is recorded as refused with the progress past it; a
// message gone from the folder (expunged meanwhile) only moves the
// progress.
func (c *Connector) take(ctx context.Context, folder string, validity uint32, uid imap.UID, metas map[imap.UID]meta, bodies map[imap.UID][]byte, st *FolderStats) error {
	account, source := c.cfg.Account(), SourceName(folder)
	m, known := metas[uid]
	raw, fetched := bodies[uid]
	ref := fmt.Sprintf("%s;UIDVALIDITY=%d/;UID=%d", folder, validity, uid)
	reason := ""
	switch {
	case !known || (!fetched && m.size <= c.cfg.MaxMessageBytes):
		// Expunged since the search: nothing to read.
		if err := c.store.SaveMailboxProgress(ctx, nil, account, folder, validity, uint32(uid)); err != nil {
			return err
		}
		return nil
	case m.size > c.cfg.MaxMessageBytes || raw == nil:
		reason = fmt.Sprintf("message is larger than %d bytes", c.cfg.MaxMessageBytes)
	default:
		res, err := c.recv.Receive(ctx, raw, func(ctx context.Context, tx bun.IDB, _ models.IngestResult) error {
			if err := c.store.RecordIntake(ctx, tx, source, m.arrived, ""); err != nil {
				return err
			}
			return c.store.SaveMailboxProgress(ctx, tx, account, folder, validity, uint32(uid))
		})
		var perr *mail.ParseError
		switch {
		case errors.As(err, &perr):
			reason = "unparseable message: " + perr.Reason
		case models.ErrorCode(err) == models.CodeBadUserInput:
			reason = models.ErrorMessage(err)
		case err != nil:
			return fmt.Errorf("ingest %s: %w", ref, err)
		default:
			result := metrics.SourceTaken
			if res.Duplicate {
				st.Duplicates++
				result = metrics.SourceDuplicate
			} else {
				st.Taken++
			}
			c.metrics.Message(source, result, m.arrived, c.store.Now())
			c.done(folder, uid)
			return nil
		}
	}
	err := store.InTx(ctx, c.store.DB(), func(tx bun.Tx) error {
		if err := c.store.RecordRefusal(ctx, tx, source, ref, m.arrived, reason); err != nil {
			return err
		}
		return c.store.SaveMailboxProgress(ctx, tx, account, folder, validity, uint32(uid))
	})
	if err != nil {
		return fmt.Errorf("record refusal of %s: %w", ref, err)
	}
	st.Refused++
	c.metrics.Message(source, metrics.SourceRefused, m.arrived, c.store.Now())
	logging.For(ctx, c.log).WarnContext(ctx, "imap message refused and skipped", "source", source, "ref", ref, "reason", reason)
	c.done(folder, uid)
	return nil
}

// done runs the afterMessage hook.
func (c *Connector) done(folder string, uid imap.UID) {
	if c.afterMessage != nil {
		c.afterMessage(folder, uid)
	}
}
