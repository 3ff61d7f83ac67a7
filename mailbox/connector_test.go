package mailbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/mailbox/mailboxtest"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// supportDomain is the vendor's domain in these tests; customerDomain is
// covered by a Priority Support subscription.
const (
	supportDomain  = "vendor.test"
	customerDomain = "acme.example"
)

var salesCtx = auth.WithCaller(context.Background(), auth.Caller{Subject: "sales@vendor.test", Roles: []auth.Role{auth.RoleSales}})
var supportCtx = auth.WithCaller(context.Background(), auth.Caller{Subject: "support@vendor.test", Roles: []auth.Role{auth.RoleSupport}})

// rig is a Dovecot, a database with a covered customer, and a connector
// between them.
type rig struct {
	t      testing.TB
	server *mailboxtest.Server
	db     *bun.DB
	st     *store.Store
	cfg    Config
}

// newRig starts Dovecot and returns a rig on db whose connector reads
// INBOX and the \Sent folder and returns once caught up (no waiting for
// new mail unless a test sets noIdle back).
func newRig(t testing.TB, db *bun.DB) *rig {
	t.Helper()
	return newRigOn(t, db, mailboxtest.Start(t))
}

// newRigOn is newRig on a Dovecot already started.
func newRigOn(t testing.TB, db *bun.DB, server *mailboxtest.Server) *rig {
	t.Helper()
	st := store.New(db, store.Options{DomainPolicy: models.DomainPolicy{Webmail: models.DefaultWebmailDomains, SupportDomain: supportDomain}})
	c, err := st.CreateCustomer(salesCtx, models.CustomerInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	from, until := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC)
	if _, err := st.RecordLicense(salesCtx, models.LicenseInput{CustomerID: c.ID, Key: "KEY-1", Paid: true, ValidFrom: from, ValidUntil: until}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{customerDomain}, StartsAt: &start}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ActivateDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Server: server.Addr, User: mailboxtest.User, Password: mailboxtest.Password, Security: SecurityNone,
		Folders: DefaultFolders, RunMax: 10 * time.Minute, Timeout: 20 * time.Second, MaxMessageBytes: DefaultMaxMessageBytes,
	}
	return &rig{t: t, server: server, db: db, st: st, cfg: cfg.withDefaults()}
}

// connector returns a connector of the rig's configuration, changed by
// edit when not nil.
func (r *rig) connector(edit func(*Config)) *Connector {
	cfg := r.cfg
	if edit != nil {
		edit(&cfg)
	}
	recv := inbound.NewHandler(inbound.Handler{Store: r.st, SupportDomain: supportDomain, MaxBytes: cfg.MaxMessageBytes,
		Log: slog.New(slog.DiscardHandler)}, 0)
	conn := New(cfg, recv, r.st, nil, slog.New(slog.DiscardHandler))
	conn.noIdle = true
	return conn
}

// run runs a connector of the rig's configuration once and fails the test
// on error.
func (r *rig) run(edit func(*Config)) Stats {
	r.t.Helper()
	stats, err := r.connector(edit).Run(context.Background())
	if err != nil {
		r.t.Fatalf("run: %v\n%s", err, r.server.Log())
	}
	return stats
}

// count returns the rows of table matching where.
func (r *rig) count(table, where string, args ...any) int {
	r.t.Helper()
	n, err := r.db.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return int(n)
}

// source returns the statistics of a mail source.
func (r *rig) source(name string) *store.MailSource {
	r.t.Helper()
	all, err := r.st.MailSources(supportCtx)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, s := range all {
		if s.Source == name {
			return s
		}
	}
	return &store.MailSource{Source: name}
}

// message returns a synthetic message with a Received: time.
func message(id, from, to, subject string, received time.Time, extra string) []byte {
	return []byte(fmt.Sprintf("Received: from relay.vendor.test by mx.vendor.test; %s\r\n"+
		"Message-ID: <%s>\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n%s"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\nthis is %s.\r\n",
		received.Format(time.RFC1123Z), id, from, to, subject, received.Format(time.RFC1123Z), extra, id))
}

// customerMessages returns n customer messages from the covered domain,
// each opening a ticket.
func customerMessages(n int, prefix string) [][]byte {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	out := make([][]byte, n)
	for i := range out {
		out[i] = message(fmt.Sprintf("%s-%d@acme.example", prefix, i), "Dana <dana@acme.example>", "support@vendor.test",
			fmt.Sprintf("Question %d", i), at.Add(time.Duration(i)*time.Minute), "")
	}
	return out
}

// samples returns the real-world messages of testdata/mail.
func samples(t testing.TB) [][]byte {
	t.Helper()
	paths, err := filepath.Glob("../testdata/mail/*.eml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples in ../testdata/mail: %v", err)
	}
	slices.Sort(paths)
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// unparseable is a message the parser refuses (no From address).
var unparseable = []byte("Message-ID: <no-sender@acme.example>\r\nSubject: who sent this\r\n\r\nbody\r\n")

// TestConnectorReadsInboxAndSent: real samples, a customer's message and an
// unparseable one in INBOX, an engineer's reply in the \Sent folder. Every
// message is ingested once (a second run reads nothing), the reply in Sent
// stops the ticket's clock, the unparseable message is recorded with its
// folder and UID and skipped once, and the sources' statistics add up.
func TestConnectorReadsInboxAndSent(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db)
		c := r.server.Client(t)
		real := samples(t)
		asked := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		question := message("question-1@acme.example", "Dana <dana@acme.example>", "support@vendor.test", "Export fails", asked, "")
		reply := message("reply-1@vendor.test", "Sam <sam@vendor.test>", "dana@acme.example", "Re: Export fails",
			asked.Add(20*time.Minute), "In-Reply-To: <question-1@acme.example>\r\nReferences: <question-1@acme.example>\r\n")
		inbox := append(slices.Clone(real), question, unparseable)
		inboxUIDs := mailboxtest.Append(t, c, "INBOX", inbox...)
		mailboxtest.Append(t, c, "Sent", reply)

		stats := r.run(nil)
		in, sent := stats.Folders["INBOX"], stats.Folders["Sent"]
		if in == nil || sent == nil {
			t.Fatalf("folders read: %v", stats.Folders)
		}
		if got := in.Taken + in.Duplicates + in.Refused; got != len(inbox) {
			t.Errorf("INBOX: %d taken, %d duplicates, %d refused; want %d messages in all", in.Taken, in.Duplicates, in.Refused, len(inbox))
		}
		if in.Refused < 1 || sent.Taken != 1 {
			t.Errorf("INBOX %+v, Sent %+v", in, sent)
		}
		if n := r.count("ticket_messages", "1 = 1"); n != in.Taken+sent.Taken {
			t.Errorf("%d messages stored, want %d", n, in.Taken+sent.Taken)
		}

		// The reply in Sent stopped the clock the question started.
		var clocks []*models.Clock
		if err := db.NewSelect().Model(&clocks).
			Join("JOIN ticket_messages AS m ON m.ticket_id = k.ticket_id").Where("m.message_id = ?", "question-1@acme.example").
			Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(clocks) != 1 || clocks[0].StoppedAt.IsZero() || !clocks[0].StoppedAt.Equal(asked.Add(20*time.Minute)) {
			t.Fatalf("clocks of the question: %+v", clocks)
		}

		// The unparseable message: recorded once, with where it is.
		src := r.source("imap:INBOX")
		if src.Taken != int64(in.Taken+in.Duplicates) || src.Refused != int64(in.Refused) {
			t.Errorf("imap:INBOX stats %d taken %d refused, want %d and %d", src.Taken, src.Refused, in.Taken+in.Duplicates, in.Refused)
		}
		wantRef := fmt.Sprintf(";UID=%d", inboxUIDs[len(inboxUIDs)-1])
		if !slices.ContainsFunc(src.Refusals, func(f *store.MailSourceRefusal) bool {
			return strings.HasSuffix(f.Ref, wantRef) && strings.Contains(f.Reason, "From")
		}) {
			t.Errorf("no refusal of the unparseable message (%s) among %+v", wantRef, src.Refusals)
		}
		if s := r.source("imap:Sent"); s.Taken != 1 || s.LastMessageAt.IsZero() {
			t.Errorf("imap:Sent stats %+v", s)
		}

		// A second run reads nothing again: the progress is committed.
		again := r.run(nil)
		for name, f := range again.Folders {
			if f.Taken+f.Duplicates+f.Refused != 0 {
				t.Errorf("second run read %s again: %+v", name, f)
			}
		}
		if src := r.source("imap:INBOX"); src.Refused != int64(in.Refused) {
			t.Errorf("the refused message was counted again: %d", src.Refused)
		}
		// Read-only by default: nothing was flagged.
		if flags := mailboxtest.Seen(t, c, "INBOX"); len(flags) != 0 {
			t.Errorf("messages flagged \\Seen without PS_IMAP_MARK_SEEN: %v", flags)
		}
	})
}

// TestConnectorRestartMidFolder: a run stopped after a few messages (its
// context cancelled, as a crash or a shutdown would) loses and doubles
// nothing: the next run reads the rest, and each message is stored once.
func TestConnectorRestartMidFolder(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db)
		c := r.server.Client(t)
		msgs := customerMessages(12, "restart")
		uids := mailboxtest.Append(t, c, "INBOX", msgs...)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		conn := r.connector(func(c *Config) { c.Batch = 5 })
		var seen atomic.Int32
		conn.afterMessage = func(string, imap.UID) {
			if seen.Add(1) == 4 {
				cancel()
			}
		}
		_, err := conn.Run(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped run: %v, want context.Canceled", err)
		}
		first := r.count("ticket_messages", "1 = 1")
		if first < 4 || first >= len(msgs) {
			t.Fatalf("%d messages stored by the stopped run, want at least 4 and not all", first)
		}
		p, err := r.st.MailboxProgressOf(context.Background(), r.cfg.Account(), "INBOX")
		if err != nil || p.LastUID != uint32(uids[first-1]) {
			t.Fatalf("progress after the stop %+v (%v), want UID %d", p, err, uids[first-1])
		}

		stats := r.run(nil)
		if in := stats.Folders["INBOX"]; in.Taken != len(msgs)-first || in.Duplicates != 0 {
			t.Errorf("second run %+v, want %d taken and no duplicates", in, len(msgs)-first)
		}
		if n := r.count("ticket_messages", "1 = 1"); n != len(msgs) {
			t.Errorf("%d messages stored, want %d", n, len(msgs))
		}
		if n := r.count("tickets", "1 = 1"); n != len(msgs) {
			t.Errorf("%d tickets, want %d", n, len(msgs))
		}
		if src := r.source("imap:INBOX"); src.Taken != int64(len(msgs)) {
			t.Errorf("imap:INBOX counted %d taken, want %d", src.Taken, len(msgs))
		}
	})
}

// TestConnectorUIDValidityChange: a folder deleted and created again (a
// new UIDVALIDITY, its messages back under new UIDs) is read again from
// its start; the messages stored before are duplicates, and only the new
// one is stored.
func TestConnectorUIDValidityChange(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db)
		c := r.server.Client(t)
		mailboxtest.Create(t, c, "Support")
		msgs := customerMessages(4, "validity")
		mailboxtest.Append(t, c, "Support", msgs[:3]...)
		only := func(c *Config) { c.Folders = []string{"Support"} }
		if st := r.run(only).Folders["Support"]; st.Taken != 3 || st.Rescanned {
			t.Fatalf("first run %+v", st)
		}
		before, _ := r.st.MailboxProgressOf(context.Background(), r.cfg.Account(), "Support")

		validity := mailboxtest.Recreate(t, c, "Support")
		if validity == before.UIDValidity {
			t.Fatalf("UIDVALIDITY did not change (%d)", validity)
		}
		mailboxtest.Append(t, c, "Support", msgs...)
		st := r.run(only).Folders["Support"]
		if !st.Rescanned || st.Taken != 1 || st.Duplicates != 3 {
			t.Errorf("run after the change %+v, want rescanned, 1 taken, 3 duplicates", st)
		}
		if n := r.count("ticket_messages", "1 = 1"); n != 4 {
			t.Errorf("%d messages stored, want 4", n)
		}
		after, _ := r.st.MailboxProgressOf(context.Background(), r.cfg.Account(), "Support")
		if after.UIDValidity != validity || after.LastUID == 0 {
			t.Errorf("progress %+v, want UIDVALIDITY %d", after, validity)
		}
	})
}

// TestConnectorIdle: after catching up, a run waits with IDLE; a message
// appended meanwhile is ingested by the same run.
func TestConnectorIdle(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db)
		c := r.server.Client(t)
		msgs := customerMessages(2, "idle")
		mailboxtest.Append(t, c, "INBOX", msgs[0])

		conn := r.connector(nil)
		conn.noIdle = false
		conn.idleStarted = make(chan struct{}, 1)
		arrived := make(chan imap.UID, 4)
		conn.afterMessage = func(_ string, uid imap.UID) { arrived <- uid }
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { _, err := conn.Run(ctx); done <- err }()

		wait := func(what string, ch any) {
			t.Helper()
			deadline := time.After(90 * time.Second)
			switch ch := ch.(type) {
			case chan struct{}:
				select {
				case <-ch:
				case err := <-done:
					t.Fatalf("run ended waiting for %s: %v", what, err)
				case <-deadline:
					t.Fatalf("no %s\n%s", what, r.server.Log())
				}
			case chan imap.UID:
				select {
				case <-ch:
				case err := <-done:
					t.Fatalf("run ended waiting for %s: %v", what, err)
				case <-deadline:
					t.Fatalf("no %s\n%s", what, r.server.Log())
				}
			}
		}
		wait("first message", arrived)
		wait("IDLE", conn.idleStarted)
		uid := mailboxtest.Append(t, c, "INBOX", msgs[1])[0]
		wait("message appended while idle", arrived)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("run ended with %v, want context.Canceled", err)
		}
		if n := r.count("ticket_messages", "message_id = ?", "idle-1@acme.example"); n != 1 {
			t.Errorf("message appended while idle stored %d times", n)
		}
		if p, _ := r.st.MailboxProgressOf(context.Background(), r.cfg.Account(), "INBOX"); p.LastUID != uint32(uid) {
			t.Errorf("progress %+v, want UID %d", p, uid)
		}
	})
}

// TestConnectorWrongPassword: a refused login is a *LoginError that names
// the account and never the password, for a run and for Check.
func TestConnectorWrongPassword(t *testing.T) {
	r := newRig(t, testdb.Open(t, testdb.SQLite(t)))
	const wrong = "not-the-password-1234"
	conn := r.connector(func(c *Config) { c.Password = wrong })
	_, err := conn.Run(context.Background())
	var lerr *LoginError
	if !errors.As(err, &lerr) {
		t.Fatalf("run with a wrong password: %v, want a LoginError", err)
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), mailboxtest.User) || !strings.Contains(err.Error(), "AUTHENTICATIONFAILED") {
		t.Errorf("error %q", err)
	}
	cfg := r.cfg
	cfg.Password = wrong
	if _, err := Check(context.Background(), cfg, nil); !errors.As(err, &lerr) || strings.Contains(err.Error(), wrong) {
		t.Errorf("check with a wrong password: %v", err)
	}
	if strings.Contains(fmt.Sprint(cfg), wrong) || strings.Contains(fmt.Sprintf("%+v", cfg.LogValue()), wrong) {
		t.Error("the configuration prints its password")
	}
}

// TestConnectorUnreachable: a server that does not answer is a clear error.
func TestConnectorUnreachable(t *testing.T) {
	r := newRig(t, testdb.Open(t, testdb.SQLite(t)))
	_, err := r.connector(func(c *Config) { c.Server = "127.0.0.1:1" }).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connect to imap server 127.0.0.1:1") {
		t.Errorf("run against a closed port: %v", err)
	}
}

// TestConnectorCaps: a message over the size cap is refused and skipped
// without being fetched; batches of one message and of few bytes read
// every message once.
func TestConnectorCaps(t *testing.T) {
	r := newRig(t, testdb.Open(t, testdb.SQLite(t)))
	c := r.server.Client(t)
	msgs := customerMessages(5, "caps")
	big := message("big@acme.example", "dana@acme.example", "support@vendor.test", "Big", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		"X-Padding: "+strings.Repeat("x", 3000)+"\r\n")
	mailboxtest.Append(t, c, "INBOX", msgs[0], msgs[1], big, msgs[2], msgs[3], msgs[4])
	st := r.run(func(c *Config) { c.MaxMessageBytes, c.Batch, c.BatchBytes = 2048, 2, 1024 }).Folders["INBOX"]
	if st.Taken != 5 || st.Refused != 1 {
		t.Errorf("run %+v, want 5 taken and 1 refused", st)
	}
	src := r.source("imap:INBOX")
	if len(src.Refusals) != 1 || !strings.Contains(src.Refusals[0].Reason, "larger than 2048 bytes") {
		t.Errorf("refusals %+v", src.Refusals)
	}
}

// TestConnectorMarkSeen: with MarkSeen the messages read are flagged
// \Seen; without it (TestConnectorReadsInboxAndSent) none is.
func TestConnectorMarkSeen(t *testing.T) {
	r := newRig(t, testdb.Open(t, testdb.SQLite(t)))
	c := r.server.Client(t)
	uids := mailboxtest.Append(t, c, "INBOX", customerMessages(3, "seen")...)
	r.run(func(c *Config) { c.MarkSeen = true })
	if got := mailboxtest.Seen(t, c, "INBOX"); !slices.Equal(got, uids) {
		t.Errorf("seen %v, want %v", got, uids)
	}
}

// TestCheck: the check lists the folders with their SPECIAL-USE
// attributes and says which are read and from which UID.
func TestCheck(t *testing.T) {
	r := newRig(t, testdb.Open(t, testdb.SQLite(t)))
	c := r.server.Client(t)
	uids := mailboxtest.Append(t, c, "INBOX", customerMessages(2, "check")...)
	r.run(nil)
	report, err := Check(context.Background(), r.cfg, r.st.MailboxProgressOf)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	report.Print(&b)
	out := b.String()
	for _, want := range []string{
		fmt.Sprintf("INBOX: read from UID %d", uids[1]+1),
		`Sent (\Sent): read from UID 1`,
		`Drafts (\Drafts)` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, mailboxtest.Password) {
		t.Error("the report prints the password")
	}
}

// BenchmarkConnector measures ingestion from IMAP into the database: 500
// customer messages (50 with -short) appended, then read by one run; it
// reports messages per second.
func BenchmarkConnector(b *testing.B) {
	n := 500
	if testing.Short() {
		n = 50
	}
	for b.Loop() {
		b.StopTimer()
		r := newRig(b, testdb.Open(b, databaseURL(b)))
		c := r.server.Client(b)
		mailboxtest.Append(b, c, "INBOX", customerMessages(n, "bench")...)
		b.StartTimer()
		start := time.Now()
		if st := r.run(nil).Folders["INBOX"]; st.Taken != n {
			b.Fatalf("%+v", st)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
	}
}

// databaseURL returns a PostgreSQL database when PS_TEST_DATABASE_URL is
// set, else a SQLite one.
func databaseURL(b *testing.B) string {
	if os.Getenv(testdb.EnvPostgres) != "" {
		return testdb.Postgres(b)
	}
	return testdb.SQLite(b)
}

// TestConnectorRunMax: a run out of time stops every folder after one
// batch (each folder still makes progress), and the next runs continue
// where it stopped until all is read once.
func TestConnectorRunMax(t *testing.T) {
	r := newRig(t, testdb.Open(t, testdb.SQLite(t)))
	c := r.server.Client(t)
	mailboxtest.Append(t, c, "INBOX", customerMessages(5, "runmax-in")...)
	mailboxtest.Append(t, c, "Sent", customerMessages(3, "runmax-sent")...)
	short := func(c *Config) { c.RunMax, c.Batch = time.Nanosecond, 2 }
	var got [][2]int
	for range 4 {
		st := r.run(short)
		got = append(got, [2]int{st.Folders["INBOX"].Taken, st.Folders["Sent"].Taken})
	}
	if want := [][2]int{{2, 2}, {2, 1}, {1, 0}, {0, 0}}; !slices.Equal(got, want) {
		t.Errorf("taken per run (INBOX, Sent) %v, want %v", got, want)
	}
	if n := r.count("ticket_messages", "1 = 1"); n != 8 {
		t.Errorf("%d messages stored, want 8", n)
	}
}

// TestConnectorXOAUTH2: with an OAuth2 token file the connector logs in
// with SASL XOAUTH2, reading the file again at each login, so a refreshed
// token is used by the next run; a token the server refuses is a
// LoginError that does not hold the token.
func TestConnectorXOAUTH2(t *testing.T) {
	var valid atomic.Value
	valid.Store("token-one")
	introspect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("token") != valid.Load().(string) {
			fmt.Fprint(w, `{"active": false}`)
			return
		}
		fmt.Fprintf(w, `{"active": true, "username": %q}`, mailboxtest.User)
	}))
	defer introspect.Close()
	server := mailboxtest.StartOAuth2(t, introspect.URL)
	db := testdb.Open(t, testdb.SQLite(t))
	r := newRigOn(t, db, server)
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("token-one\n"), 0o600)
	oauth := func(c *Config) { c.Password, c.OAuth2TokenFile = "", tokenFile }
	mailboxtest.Append(t, r.server.Client(t), "INBOX", customerMessages(1, "oauth")...)
	if st := r.run(oauth).Folders["INBOX"]; st.Taken != 1 {
		t.Fatalf("run with a token: %+v", st)
	}

	valid.Store("token-two") // the old token expired
	_, err := r.connector(oauth).Run(context.Background())
	var lerr *LoginError
	if !errors.As(err, &lerr) || strings.Contains(err.Error(), "token-one") {
		t.Fatalf("run with an expired token: %v", err)
	}
	os.WriteFile(tokenFile, []byte("token-two\n"), 0o600) // refreshed outside
	r.run(oauth)
}

// TestConnectorRunsOneAtATime: a run that starts while another reads the
// same account (the last one overran its period) reads nothing, so no
// message is fetched and counted twice; once the first ends, the next runs.
func TestConnectorRunsOneAtATime(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db)
		mailboxtest.Append(t, r.server.Client(t), "INBOX", customerMessages(3, "overlap")...)
		first := r.connector(nil)
		first.noIdle = true
		inside := make(chan struct{})
		done := make(chan struct{})
		finished := make(chan struct{})
		first.afterMessage = func(string, imap.UID) {
			select {
			case <-inside:
			default:
				close(inside)
				<-done // hold the run until the second has tried
			}
		}
		go func() {
			defer close(finished)
			first.Run(context.Background())
		}()
		<-inside
		second, err := r.connector(nil).Run(context.Background())
		close(done)
		if err != nil || !second.Skipped || len(second.Folders) != 0 {
			t.Fatalf("overlapping run = %+v, %v; want skipped, nothing read", second, err)
		}
		<-finished
		third := r.run(nil)
		if third.Skipped {
			t.Fatal("a run after the first ended was skipped: the lease was not given back")
		}
		if src := r.source("imap:INBOX"); src.Taken != 3 {
			t.Errorf("imap:INBOX counted %d taken, want 3", src.Taken)
		}
	})
}
