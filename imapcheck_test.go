package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/jobs"
	"github.com/prioritysupport/backend/mailbox/mailboxtest"
)

// imapEnv returns the variables pointing the server at a Dovecot's
// account with password, polled every minute (the first run at start).
func imapEnv(server *mailboxtest.Server, password string) map[string]string {
	return map[string]string{
		"PS_IMAP_URL":      "imap://" + mailboxtest.User + "@" + server.Addr,
		"PS_IMAP_PASSWORD": password,
	}
}

// startMailJobs starts a job runner that polls the mailbox every
// PS_IMAP_POLL_INTERVAL, as serve does; it stops when the test ends.
func startMailJobs(t *testing.T, s *testServer, databaseURL string) {
	t.Helper()
	startRunner(t, s, databaseURL, jobs.Options{Every: time.Hour, MailEvery: s.App.Config.IMAP.PollInterval})
}

// TestIMAPMailThroughServer: the server's poll_mail job reads the mailbox:
// a customer's message in INBOX and the engineer's reply in Sent become one
// ticket whose clock the reply stopped. The run then waits for new mail
// with IDLE for most of its minute; stopping the jobs (at the test's end)
// ends that wait instead of waiting it out.
func TestIMAPMailThroughServer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		dovecot := mailboxtest.Start(t)
		s := newTestServer(t, databaseURL, imapEnv(dovecot, mailboxtest.Password))
		s.mustPriorityCustomer("Mailbox Ltd", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "mailbox.example")
		c := dovecot.Client(t)
		asked := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		mailboxtest.Append(t, c, "INBOX", []byte(fmt.Sprintf("Received: by mx.vendor.test; %s\r\nMessage-ID: <imap-q@mailbox.example>\r\n"+
			"From: kim@mailbox.example\r\nTo: help@support.vendor.test\r\nSubject: Sync stalls\r\n\r\nIt stalls.\r\n", asked.Format(time.RFC1123Z))))
		mailboxtest.Append(t, c, "Sent", []byte(fmt.Sprintf("Received: by mx.vendor.test; %s\r\nMessage-ID: <imap-r@support.vendor.test>\r\n"+
			"From: lee@support.vendor.test\r\nTo: kim@mailbox.example\r\nSubject: Re: Sync stalls\r\nIn-Reply-To: <imap-q@mailbox.example>\r\n\r\nFixed.\r\n",
			asked.Add(30*time.Minute).Format(time.RFC1123Z))))

		startMailJobs(t, s, databaseURL)
		deadline := time.Now().Add(90 * time.Second)
		for countRows(t, s, "sla_clocks", "stopped_at IS NOT NULL") == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the reply in Sent did not stop a clock\n%s\n%s", s.Logs, dovecot.Log())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n := countRows(t, s, "ticket_messages", "1 = 1"); n != 2 {
			t.Errorf("%d messages stored, want 2", n)
		}
		if n := countRows(t, s, "tickets", "priority = ?", true); n != 1 {
			t.Errorf("%d priority tickets, want 1", n)
		}
	})
}

// TestIMAPWrongPasswordKeepsServing: with a password the IMAP server
// refuses, the poll_mail job logs a clear error, without the password, and
// the HTTP server keeps answering.
func TestIMAPWrongPasswordKeepsServing(t *testing.T) {
	const wrong = "wrong-password-5678"
	dovecot := mailboxtest.Start(t)
	databaseURL := testdb.SQLite(t)
	s := newTestServer(t, databaseURL, imapEnv(dovecot, wrong))
	startMailJobs(t, s, databaseURL)
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(s.Logs.String(), "refused the login") {
		if time.Now().After(deadline) {
			t.Fatalf("no login error logged\n%s", s.Logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	res, err := http.Get(s.URL + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	if strings.Contains(s.Logs.String(), wrong) {
		t.Error("the logs hold the password")
	}
}

// TestIMAPCheckCommand: imap-check lists the folders and says which it
// would read and from which UID; with a wrong password it fails (exit 1)
// with a clear error that does not hold the password.
func TestIMAPCheckCommand(t *testing.T) {
	dovecot := mailboxtest.Start(t)
	databaseURL := testdb.SQLite(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"imap-check"}, testEnv(t, databaseURL, imapEnv(dovecot, mailboxtest.Password)), &stdout, &stderr); code != 0 {
		t.Fatalf("imap-check exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"INBOX: read from UID 1", `Sent (\Sent): read from UID 1`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("imap-check output lacks %q:\n%s", want, stdout.String())
		}
	}

	const wrong = "wrong-password-9012"
	stdout.Reset()
	stderr.Reset()
	code := run([]string{"imap-check"}, testEnv(t, databaseURL, imapEnv(dovecot, wrong)), &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "refused the login") {
		t.Errorf("imap-check with a wrong password: exit %d\n%s", code, stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), wrong) {
		t.Error("imap-check printed the password")
	}
}
