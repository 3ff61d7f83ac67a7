package store

import (
	"context"
	"errors"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/events"
	"github.com/prioritysupport/backend/models"
)

// SLAAlert is one alert about a running clock.
type SLAAlert struct {
	Ticket *models.Ticket
	Level  string // AlertAtRisk or AlertBreached
	DueAt  time.Time
	At     time.Time
}

// WatchTickets streams the tickets the caller may see as they change, until
// ctx ends: a customer user its own (customerID empty or its own), staff
// one customer's or, with customerID empty, all. Each ticket is read again,
// with the caller's scope, when its event arrives. It returns NOT_FOUND for
// another customer's id, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) WatchTickets(ctx context.Context, customerID string) (<-chan *models.Ticket, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	if scope != "" {
		if customerID != "" && customerID != scope {
			return nil, notFound("customer", customerID)
		}
		customerID = scope
	}
	return watch(ctx, s, func(e events.Event) bool {
		return e.Kind == events.TicketUpdated && (customerID == "" || e.CustomerID == customerID)
	}, func(e events.Event, t *models.Ticket) *models.Ticket { return t })
}

// WatchSLAAlerts streams SLA alerts (support, admin) until ctx ends. It
// returns UNAUTHENTICATED or FORBIDDEN.
func (s *Store) WatchSLAAlerts(ctx context.Context) (<-chan *SLAAlert, error) {
	if _, err := auth.Require(ctx, auth.RoleSupport, auth.RoleAdmin); err != nil {
		return nil, err
	}
	return watch(ctx, s, func(e events.Event) bool { return e.Kind == events.SLAAlert },
		func(e events.Event, t *models.Ticket) *SLAAlert {
			return &SLAAlert{Ticket: t, Level: e.Level, DueAt: e.DueAt, At: e.At}
		})
}

// watch subscribes to the events that match filter and sends, for each, the
// ticket it names read with the caller's scope and shaped by shape; events
// about tickets the caller may not see are skipped.
func watch[T any](ctx context.Context, s *Store, filter func(events.Event) bool, shape func(events.Event, *models.Ticket) T) (<-chan T, error) {
	if s.bus == nil {
		return nil, errors.New("watch: no event bus")
	}
	in, cancel := s.bus.Subscribe(ctx, filter)
	out := make(chan T, 16)
	go func() {
		defer close(out)
		defer cancel()
		for e := range in {
			t, err := s.FindTicket(ctx, e.TicketID)
			if err != nil {
				if models.ErrorCode(err) == models.CodeInternal && s.log != nil {
					s.log.WarnContext(ctx, "watch: reload ticket", "ticket_id", e.TicketID, "err", err)
				}
				continue
			}
			select {
			case out <- shape(e, t):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
