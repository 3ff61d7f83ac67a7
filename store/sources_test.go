package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// TestRecordIntake checks the per-source statistics: taken and refused
// counts, the newest message time (never moved back by an older message),
// the lag, the last refusals kept (newest first, at most RefusalsKept), the
// refusal text cut and cleaned, and a bad source name refused.
func TestRecordIntake(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := anonymous
		received := testNow.Add(-90 * time.Second)
		if err := f.st.RecordIntake(ctx, nil, "imap:INBOX", received, ""); err != nil {
			t.Fatal(err)
		}
		// An older message taken later leaves the last message time but
		// sets the lag.
		if err := f.st.RecordIntake(ctx, nil, "imap:INBOX", received.Add(-time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		for i := range store.RefusalsKept + 3 {
			f.clk.Set(testNow.Add(time.Duration(i) * time.Second))
			if err := f.st.RecordRefusal(ctx, nil, "imap:INBOX", fmt.Sprintf("INBOX/7/%d", i), time.Time{}, "bad\r\nheader "+strings.Repeat("x", 600)); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.st.RecordIntake(ctx, f.db, "webhook:mailgun", time.Time{}, "no body"); err != nil {
			t.Fatal(err)
		}
		if err := f.st.RecordIntake(ctx, nil, "", received, ""); err == nil {
			t.Error("an empty source name was accepted")
		} else {
			wantCode(t, err, models.CodeBadUserInput)
		}
		if err := f.st.RecordIntake(ctx, nil, "imap:\nINBOX", received, ""); err == nil {
			t.Error("a source name with a newline was accepted")
		}

		if _, err := f.st.MailSources(anonymous); err == nil {
			t.Error("MailSources answered an anonymous caller")
		}
		if _, err := f.st.MailSources(salesCtx); err == nil {
			t.Error("MailSources answered sales")
		} else {
			wantCode(t, err, models.CodeForbidden)
		}
		sources, err := f.st.MailSources(supportCtx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sources) != 2 || sources[0].Source != "imap:INBOX" || sources[1].Source != "webhook:mailgun" {
			t.Fatalf("sources %+v", sources)
		}
		in := sources[0]
		if in.Taken != 2 || in.Refused != int64(store.RefusalsKept+3) {
			t.Errorf("taken %d refused %d, want 2 and %d", in.Taken, in.Refused, store.RefusalsKept+3)
		}
		wantTime(t, "last message", in.LastMessageAt, received)
		if in.LagSeconds != 3690 {
			t.Errorf("lag %d s, want 3690 (the last message taken)", in.LagSeconds)
		}
		if len(in.Refusals) != store.RefusalsKept {
			t.Fatalf("%d refusals kept, want %d", len(in.Refusals), store.RefusalsKept)
		}
		newest := in.Refusals[0]
		if newest.Ref != fmt.Sprintf("INBOX/7/%d", store.RefusalsKept+2) || in.Refusals[store.RefusalsKept-1].Ref != "INBOX/7/3" {
			t.Errorf("refusals kept from %q to %q", newest.Ref, in.Refusals[store.RefusalsKept-1].Ref)
		}
		if len(newest.Reason) > store.MaxRefusalText || strings.ContainsAny(newest.Reason, "\r\n") || !strings.HasPrefix(newest.Reason, "bad  header x") {
			t.Errorf("reason %q", newest.Reason)
		}
		if n := f.count((*store.MailSourceRefusal)(nil), "source = ?", "imap:INBOX"); n != store.RefusalsKept {
			t.Errorf("%d refusal rows stored, want %d", n, store.RefusalsKept)
		}
		wh := sources[1]
		if wh.Taken != 0 || wh.Refused != 1 || len(wh.Refusals) != 1 || wh.Refusals[0].Reason != "no body" || !wh.LastMessageAt.IsZero() {
			t.Errorf("webhook source %+v", wh)
		}
	})
}

// TestMailboxProgress checks that a folder's progress starts at zero, is
// saved in the caller's transaction (a rollback leaves it), never moves
// back under the same UIDVALIDITY and restarts under a new one.
func TestMailboxProgress(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := anonymous
		p, err := f.st.MailboxProgressOf(ctx, "support@mail.test", "INBOX")
		if err != nil || p.UIDValidity != 0 || p.LastUID != 0 {
			t.Fatalf("fresh progress %+v, %v", p, err)
		}
		want := func(validity, uid uint32) {
			t.Helper()
			p, err := f.st.MailboxProgressOf(ctx, "support@mail.test", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if p.UIDValidity != validity || p.LastUID != uid {
				t.Errorf("progress %d/%d, want %d/%d", p.UIDValidity, p.LastUID, validity, uid)
			}
		}
		if err := f.st.SaveMailboxProgress(ctx, nil, "support@mail.test", "INBOX", 4000000000, 10); err != nil {
			t.Fatal(err)
		}
		want(4000000000, 10)
		err = store.InTx(ctx, f.db, func(tx bun.Tx) error {
			if err := f.st.SaveMailboxProgress(ctx, tx, "support@mail.test", "INBOX", 4000000000, 12); err != nil {
				return err
			}
			return fmt.Errorf("roll back")
		})
		if err == nil {
			t.Fatal("no error from the rolled-back transaction")
		}
		want(4000000000, 10)
		if err := f.st.SaveMailboxProgress(ctx, nil, "support@mail.test", "INBOX", 4000000000, 5); err != nil {
			t.Fatal(err)
		}
		want(4000000000, 10)
		if err := f.st.SaveMailboxProgress(ctx, nil, "support@mail.test", "INBOX", 9, 3); err != nil {
			t.Fatal(err)
		}
		want(9, 3)
		if p, _ := f.st.MailboxProgressOf(ctx, "other@mail.test", "INBOX"); p.UIDValidity != 0 {
			t.Errorf("another account shares the progress: %+v", p)
		}
	})
}
