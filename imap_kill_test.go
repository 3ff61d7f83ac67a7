package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/mailbox/mailboxtest"
	"github.com/prioritysupport/backend/store"
)

// childServeEnv names the variable that makes TestServeAsChild serve:
// the test binary started again as a separate process, so it can be killed.
const childServeEnv = "PS_TEST_SERVE_AS_CHILD"

// TestServeAsChild is `backend serve` inside a child process of
// TestIMAPKillMidFolder; run directly, it does nothing.
func TestServeAsChild(t *testing.T) {
	if os.Getenv(childServeEnv) == "" {
		t.Skip("runs only as the child process of TestIMAPKillMidFolder")
	}
	os.Exit(run([]string{"serve"}, os.Getenv, os.Stdout, os.Stderr))
}

// TestIMAPKillMidFolder: the server reading a mailbox is killed with
// SIGKILL in the middle of a folder; started again, it stores every message
// exactly once, because each message's folder progress commits with it.
func TestIMAPKillMidFolder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		dovecot := mailboxtest.Start(t)
		const total = 400
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		msgs := make([][]byte, total)
		for i := range msgs {
			msgs[i] = []byte(fmt.Sprintf("Received: by mx.vendor.test; %s\r\nMessage-ID: <kill-%d@acme-kill.example>\r\n"+
				"From: dana@acme-kill.example\r\nTo: help@support.vendor.test\r\nSubject: Question %d\r\n\r\nWhy %d?\r\n",
				at.Add(time.Duration(i)*time.Second).Format(time.RFC1123Z), i, i, i))
		}
		mailboxtest.Append(t, dovecot.Client(t), "INBOX", msgs...)

		env := testEnv(t, databaseURL, nil)
		vars := []string{childServeEnv + "=1", "PS_ADDR=127.0.0.1:0", "PS_IMAP_POLL_INTERVAL=1s", "PS_IMAP_BATCH=10",
			"PS_IMAP_URL=imap://" + mailboxtest.User + "@" + dovecot.Addr, "PS_IMAP_PASSWORD=" + mailboxtest.Password}
		for _, k := range []string{"DATABASE_URL", "PS_DATA_DIR", "PS_JWT_HS256_SECRET", "PS_JWT_ISSUER", "PS_JWT_AUDIENCE",
			"PS_SUPPORT_DOMAIN", "PS_INBOUND_SECRET"} {
			vars = append(vars, k+"="+env(k))
		}
		db := testdb.Open(t, databaseURL)
		stored := func() int {
			n, err := db.NewSelect().Table("ticket_messages").Count(context.Background())
			if err != nil && !strings.Contains(err.Error(), "no such table") && !strings.Contains(err.Error(), "does not exist") {
				t.Fatal(err)
			}
			return int(n)
		}
		serve := func(until func(n int) bool) (n int, stopped bool) {
			t.Helper()
			cmd := exec.Command(os.Args[0], "-test.run=^TestServeAsChild$")
			cmd.Env = append(os.Environ(), vars...)
			var logs strings.Builder
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for n = stored(); !until(n); n = stored() {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("%d messages stored after 2 minutes\n%s", n, logs.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Kill() // SIGKILL: no shutdown, no rollback by the process
			cmd.Wait()
			return stored(), true
		}

		first, _ := serve(func(n int) bool { return n >= 40 })
		if first >= total {
			t.Fatalf("the first process stored all %d messages before it was killed; nothing was tested", total)
		}
		var takenAtKill int
		db.NewSelect().Table("mail_sources").Column("taken").Where("source LIKE 'imap:%INBOX'").Scan(context.Background(), &takenAtKill)
		t.Logf("killed after %d stored, %d taken", first, takenAtKill)
		st := store.New(db, store.Options{})
		p, err := st.MailboxProgressOf(context.Background(), mailboxtest.User+"@"+dovecot.Addr, "INBOX")
		if err != nil || p.LastUID != uint32(first) {
			t.Fatalf("after the kill: %d stored, progress %+v (%v); want the progress at UID %d", first, p, err, first)
		}

		all, _ := serve(func(n int) bool { return n >= total })
		time.Sleep(500 * time.Millisecond) // a message past the total would be a duplicate; give it time to show
		if all = stored(); all != total {
			t.Errorf("%d messages stored, want %d (killed after %d)", all, total, first)
		}
		var taken int
		if tickets, err := db.NewSelect().Table("tickets").Count(context.Background()); err != nil || tickets != total {
			t.Errorf("%d tickets (%v), want %d", tickets, err, total)
		}
		if err := db.NewSelect().Table("mail_sources").Column("taken").Where("source LIKE 'imap:%INBOX'").Scan(context.Background(), &taken); err != nil || taken != total {
			t.Errorf("INBOX counted %d messages taken (%v), want %d: the count commits with each message", taken, err, total)
		}
	})
}
