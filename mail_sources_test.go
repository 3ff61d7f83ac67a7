package main

import (
	"context"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
)

func TestMailSourcesForOperators(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		ctx := context.Background()
		st := s.App.Store
		received := time.Now().Add(-90 * time.Second).UTC()
		if err := st.RecordIntake(ctx, nil, "imap:support@mail.test:993/INBOX", received, ""); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordRefusal(ctx, nil, "imap:support@mail.test:993/INBOX", "INBOX/7/12", time.Time{}, "no From address"); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordIntake(ctx, nil, "webhook:postmark", time.Time{}, "message has no RawEmail"); err != nil {
			t.Fatal(err)
		}

		const q = `{ mailSources { name taken refused lastMessageAt lagSeconds lastRefusedAt
			recentRefusals { ref reason refusedAt } } }`
		for _, role := range []auth.Role{auth.RoleCustomer, auth.RoleSales} {
			customerID := ""
			if role == auth.RoleCustomer {
				customerID = s.mustCustomer("Acme", "acme-sources.example").CustomerID
			}
			if r := s.gql(s.token(customerID, role), q, nil); r.code() != "FORBIDDEN" {
				t.Fatalf("%s: mailSources answered %s, want FORBIDDEN", role, r.Raw)
			}
		}

		var got struct {
			MailSources []struct {
				Name           string
				Taken, Refused int
				LastMessageAt  *time.Time
				LagSeconds     *int
				LastRefusedAt  *time.Time
				RecentRefusals []struct{ Ref, Reason string }
			}
		}
		for _, role := range []auth.Role{auth.RoleSupport, auth.RoleAdmin} {
			s.gql(s.token("", role), q, nil).decode(t, &got)
			if len(got.MailSources) != 2 {
				t.Fatalf("%s: %d sources, want 2: %+v", role, len(got.MailSources), got)
			}
		}
		imap, hook := got.MailSources[0], got.MailSources[1]
		if imap.Name != "imap:support@mail.test:993/INBOX" || imap.Taken != 1 || imap.Refused != 1 ||
			imap.LastMessageAt == nil || !imap.LastMessageAt.Equal(received.Truncate(time.Microsecond)) ||
			imap.LagSeconds == nil || *imap.LagSeconds < 90 || imap.LastRefusedAt == nil ||
			len(imap.RecentRefusals) != 1 || imap.RecentRefusals[0].Ref != "INBOX/7/12" || imap.RecentRefusals[0].Reason != "no From address" {
			t.Errorf("imap source = %+v", imap)
		}
		if hook.Name != "webhook:postmark" || hook.Taken != 0 || hook.Refused != 1 || hook.LastMessageAt != nil ||
			hook.LagSeconds != nil || len(hook.RecentRefusals) != 1 || hook.RecentRefusals[0].Reason != "message has no RawEmail" {
			t.Errorf("webhook source = %+v", hook)
		}
	})
}
