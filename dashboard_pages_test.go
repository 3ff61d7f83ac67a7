package main

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// TestDashboardPagesAreOneQueryEach runs each page of the customer
// dashboard as the dashboard does: one operation of its persisted manifest
// (examples/dashboard-queries) by id, as a customer user, on a customer
// with a priority ticket answered by support. Each page's data comes back
// whole, with no error, from that one request.
func TestDashboardPagesAreOneQueryEach(t *testing.T) {
	manifest := readDashboardManifest(t)
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		now := time.Now().UTC()
		s := newTestServer(t, databaseURL, map[string]string{"PS_TRUSTED_DOCUMENTS": dashboardManifest})
		setup := newTestServer(t, databaseURL, nil)
		f := setup.mustPriorityCustomer("Pages Ltd", now.AddDate(0, -2, 0), "pages.example")
		asked := now.Add(-2 * time.Hour)
		q := setup.mustIngest(email{From: "ana@pages.example", Subject: "Export fails", MessageID: "pages-q@pages.example", Received: asked})
		setup.mustIngest(email{From: "sam@support.vendor.test", Subject: "Re: Export fails", MessageID: "pages-r@support.vendor.test",
			InReplyTo: "pages-q@pages.example", Received: asked.Add(20 * time.Minute)})
		tok := s.customerToken(f)
		month := now.Format("2006-01")

		page := func(name string, vars map[string]any, v any) {
			t.Helper()
			res := s.gqlBody(tok, map[string]any{"documentId": manifestID(t, manifest, name), "variables": vars})
			if len(res.Errors) > 0 {
				t.Fatalf("%s: %s", name, res.Raw)
			}
			res.decode(t, v)
		}

		var tickets struct {
			Tickets struct {
				TotalCount int
				Edges      []struct {
					Node struct{ ID, SlaStatus string }
				}
			}
		}
		page("TicketsPage", map[string]any{"first": 50}, &tickets)
		if tickets.Tickets.TotalCount != 1 || tickets.Tickets.Edges[0].Node.ID != q.TicketID || tickets.Tickets.Edges[0].Node.SlaStatus == "" {
			t.Errorf("ticket page: %+v", tickets)
		}

		var detail struct {
			Ticket struct {
				MessagesConnection struct {
					TotalCount int
					Edges      []struct{ Node struct{ Direction string } }
				}
				Clocks []struct{ Met *bool }
			}
		}
		page("TicketDetail", map[string]any{"id": q.TicketID, "messages": 50}, &detail)
		if m := detail.Ticket.MessagesConnection; m.TotalCount != 2 || len(m.Edges) != 2 || m.Edges[1].Node.Direction != "SUPPORT" ||
			len(detail.Ticket.Clocks) == 0 || detail.Ticket.Clocks[0].Met == nil || !*detail.Ticket.Clocks[0].Met {
			t.Errorf("ticket detail: %+v", detail)
		}

		var rates struct {
			Viewer struct {
				Customer struct {
					SlaSummary struct {
						FirstResponses, FirstResponsesMet int
						Months                            []struct{ Month string }
					}
				}
			}
		}
		page("ResponseRates", map[string]any{"from": now.AddDate(0, -1, 0).Format("2006-01"), "to": month}, &rates)
		if sum := rates.Viewer.Customer.SlaSummary; sum.FirstResponses != 1 || sum.FirstResponsesMet != 1 || len(sum.Months) == 0 ||
			sum.Months[len(sum.Months)-1].Month != month {
			t.Errorf("response rates: %+v", sum)
		}

		var credits struct{ CreditBalance struct{ Cents int } }
		page("Credits", map[string]any{"first": 20}, &credits)
		var reports struct {
			Viewer struct {
				Customer struct{ SupportSubscriptions []struct{ ID string } }
			}
		}
		page("MonthReports", map[string]any{"months": 3}, &reports)
		if len(reports.Viewer.Customer.SupportSubscriptions) != 1 {
			t.Errorf("month reports: %+v", reports)
		}
		var viewer struct {
			Viewer struct{ Customer struct{ Name string } }
		}
		page("Viewer", nil, &viewer)
		if viewer.Viewer.Customer.Name != "Pages Ltd" {
			t.Errorf("viewer: %+v", viewer)
		}
	})
}
