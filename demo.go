package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// demoCustomers are the demo's customers: Acme, whose last month was met,
// and Globex, whose last month was breached by one slow first response.
var demoCustomers = []struct {
	name, domain, person string
	slowFirstResponse    bool
}{
	{"Acme Corp (demo)", "acme.example", "dana", false},
	{"Globex (demo)", "globex.example", "hank", true},
}

// seedDemo loads the demo data set through the services (once: a second
// run only prints the tokens) and prints tokens to explore it.
func seedDemo(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	app, closeDB, err := open(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer closeDB()
	st := app.Store
	staff := auth.WithCaller(ctx, auth.Caller{Subject: "seed-demo", Roles: []auth.Role{auth.RoleSales, auth.RoleSupport}})
	existing, err := st.FindCustomers(staff, "(demo)", store.Page{})
	if err != nil {
		return err
	}
	ids := map[string]string{}
	for _, c := range existing.Customers {
		ids[c.Name] = c.ID
	}
	now := st.Now()
	lastMonth := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	for _, dc := range demoCustomers {
		if ids[dc.name] != "" {
			continue
		}
		c, err := st.CreateCustomer(staff, models.CustomerInput{Name: dc.name})
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		ids[dc.name] = c.ID
		if _, err := st.RecordLicense(staff, models.LicenseInput{
			CustomerID: c.ID, Key: "DEMO-" + dc.domain, Paid: true, ValidFrom: now.AddDate(-1, 0, 0), ValidUntil: now.AddDate(1, 0, 0),
		}); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		start := lastMonth.AddDate(0, -2, 0)
		if _, err := st.CreateSubscription(staff, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{dc.domain}, StartsAt: &start}); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		if err := seedTickets(ctx, st, cfg.SupportDomain, dc.domain, dc.person, dc.slowFirstResponse, lastMonth, now); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
	}
	signer, err := signerFor(cfg, log, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo data is loaded. Tokens (valid 12 hours), for the Authorization: Bearer header:\n\n")
	print := func(label string, claims auth.Claims) error {
		claims.TTL = 12 * time.Hour
		tok, err := signer.Sign(claims)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n%s\n\n", label, tok)
		return nil
	}
	for _, dc := range demoCustomers {
		if err := print("customer user of "+dc.name+":", auth.Claims{Subject: "demo-" + dc.person, Roles: []auth.Role{auth.RoleCustomer}, CustomerID: ids[dc.name]}); err != nil {
			return err
		}
	}
	for _, r := range []auth.Role{auth.RoleSupport, auth.RoleSales, auth.RoleAdmin} {
		if err := print(string(r)+":", auth.Claims{Subject: "demo-" + string(r), Roles: []auth.Role{r}}); err != nil {
			return err
		}
	}
	return nil
}

// seedTickets feeds a month of mail for one customer through ingestion:
// priority tickets answered in time (one slow when slow is set), follow-ups,
// an auto-acknowledgement, a mail from an uncovered address, and one open
// ticket still waiting this month.
func seedTickets(ctx context.Context, st *store.Store, supportDomain, domain, person string, slow bool, month, now time.Time) error {
	n := 0
	send := func(from, subject string, at time.Time, replyTo string, machine models.Machine) (string, error) {
		n++
		e := models.InboundEmail{
			MessageID: fmt.Sprintf("demo-%d@%s", n, domain), Direction: models.FromCustomer, Machine: machine,
			From: from, FromDomain: from[strings.LastIndexByte(from, '@')+1:], To: []string{"help@" + supportDomain},
			Subject: subject, ReceivedAt: at, SentAt: at, BodyText: "Demo message: " + subject,
		}
		if replyTo != "" {
			e.InReplyTo = []string{replyTo}
		}
		if models.DomainCovers(supportDomain, e.FromDomain) {
			e.Direction = models.FromSupport
		}
		if _, err := st.IngestEmail(ctx, e); err != nil {
			return "", err
		}
		return e.MessageID, nil
	}
	customer, engineer := person+"@"+domain, "sam@"+supportDomain
	// Weekday mornings of last month: a ticket every few days.
	for day, i := firstWeekday(month), 0; day.Month() == month.Month(); day, i = nextWeekday(day.AddDate(0, 0, 3)), i+1 {
		opened := day.Add(time.Duration(9+i%6) * time.Hour)
		first := 20 + 7*time.Duration(i%5)
		if slow && i == 2 {
			first = 75
		}
		id, err := send(customer, fmt.Sprintf("Question %d about the %s rollout", i+1, domain), opened, "", models.MachineNone)
		if err != nil {
			return err
		}
		if _, err := send("noreply@"+supportDomain, "We received your request", opened.Add(time.Minute), id, models.MachineAutoReply); err != nil {
			return err
		}
		reply, err := send(engineer, "Re: question", opened.Add(first*time.Minute), id, models.MachineNone)
		if err != nil {
			return err
		}
		if i%2 == 0 {
			follow, err := send(customer, "Re: Re: question", opened.Add(3*time.Hour), reply, models.MachineNone)
			if err != nil {
				return err
			}
			if _, err := send(engineer, "Re: follow-up", opened.Add(3*time.Hour+45*time.Minute), follow, models.MachineNone); err != nil {
				return err
			}
		}
	}
	if _, err := send("someone@partner-of-"+strings.TrimSuffix(domain, ".example")+".test", "Not covered: a partner's question", firstWeekday(month).Add(10*time.Hour), "", models.MachineNone); err != nil {
		return err
	}
	_, err := send(customer, "Still waiting: licence server upgrade", now.Add(-20*time.Minute), "", models.MachineNone)
	return err
}

// firstWeekday returns the first Monday-to-Friday day of t's month.
func firstWeekday(t time.Time) time.Time {
	return nextWeekday(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC))
}

// nextWeekday returns t, or the Monday after it when it falls on a weekend.
func nextWeekday(t time.Time) time.Time {
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}
