package model

import (
	"errors"
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// TestViewsAnswerOnlyWhatTheyWereGiven: a view's field answers what it was
// made with, its error included, and fails, rather than reading as null,
// when it was made without it.
func TestViewsAnswerOnlyWhatTheyWereGiven(t *testing.T) {
	sub := NewSupportSubscription(&models.SupportSubscription{ID: "s", Status: models.StatusPending, StartsAt: time.Unix(100, 0)}, time.Unix(200, 0), Part[[]string]{})
	if st, err := sub.CurrentStatus(); st != models.StatusActive || err != nil {
		t.Errorf("status of a pending subscription whose start has passed = %q, %v", st, err)
	}
	if _, err := sub.Domains(); err == nil {
		t.Error("domains never read answer")
	}
	bare := NewTicket(&models.Ticket{ID: "t"}, TicketParts{})
	if _, err := bare.SLA(); err == nil {
		t.Error("sla never read answers")
	}
	if _, err := bare.SLAStatus(); err == nil {
		t.Error("slaStatus never read answers")
	}
	if _, err := bare.Subscription(); err == nil {
		t.Error("subscription never read answers")
	}
	if _, err := (&SupportSubscription{SupportSubscription: sub.SupportSubscription}).CurrentStatus(); err == nil {
		t.Error("a subscription not made by NewSupportSubscription answers status")
	}
	failed := errors.New("read failed")
	read := NewTicket(&models.Ticket{ID: "t"}, TicketParts{Subscription: PartOf(sub, nil), SLA: PartOf[*sla.TicketSLA](nil, failed)})
	if got, err := read.Subscription(); got != sub || err != nil {
		t.Errorf("subscription = %v, %v", got, err)
	}
	if _, err := read.SLA(); !errors.Is(err, failed) {
		t.Errorf("sla's error = %v, want the read's", err)
	}
}
