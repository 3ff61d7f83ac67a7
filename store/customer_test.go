package store_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

func TestCreateCustomer(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		t.Run("stored trimmed with the clock's time", func(t *testing.T) {
			c, err := f.st.CreateCustomer(salesCtx, models.CustomerInput{Name: "  Acme Corp ", StripeCustomerID: " cus_acme "})
			wantCode(t, err, "")
			if c.ID == "" || c.Name != "Acme Corp" || c.StripeCustomerID != "cus_acme" {
				t.Fatalf("CreateCustomer = %+v", c)
			}
			wantTime(t, "CreatedAt", c.CreatedAt, testNow)
			wantTime(t, "UpdatedAt", c.UpdatedAt, testNow)
			got, err := f.st.FindCustomer(supportCtx, c.ID)
			wantCode(t, err, "")
			if got.ID != c.ID || got.Name != "Acme Corp" || got.StripeCustomerID != "cus_acme" {
				t.Fatalf("FindCustomer = %+v, want %+v", got, c)
			}
			wantTime(t, "stored CreatedAt", got.CreatedAt, testNow)
		})

		t.Run("duplicate stripe id", func(t *testing.T) {
			_, err := f.st.CreateCustomer(adminCtx, models.CustomerInput{Name: "Someone Else", StripeCustomerID: "cus_acme"})
			wantCode(t, err, models.CodeConflict)
			if want := `stripe customer "cus_acme" already belongs to another customer`; models.ErrorMessage(err) != want {
				t.Fatalf("message = %q, want %q", models.ErrorMessage(err), want)
			}
			if n := f.on(t).count((*models.Customer)(nil), "stripe_customer_id = ?", "cus_acme"); n != 1 {
				t.Fatalf("%d customers hold cus_acme, want 1", n)
			}
			if n := f.on(t).count((*models.Customer)(nil), "name = ?", "Someone Else"); n != 0 {
				t.Fatalf("the refused customer was stored")
			}
		})

		t.Run("customers without stripe id do not collide", func(t *testing.T) {
			for _, name := range []string{"No Stripe 1", "No Stripe 2"} {
				c, err := f.st.CreateCustomer(salesCtx, models.CustomerInput{Name: name})
				wantCode(t, err, "")
				if c.StripeCustomerID != "" {
					t.Fatalf("StripeCustomerID = %q, want empty", c.StripeCustomerID)
				}
			}
			if n := f.on(t).count((*models.Customer)(nil), "stripe_customer_id IS NULL"); n != 2 {
				t.Fatalf("%d customers without stripe id stored as NULL, want 2", n)
			}
		})

		t.Run("same name twice is allowed", func(t *testing.T) {
			a, errA := f.st.CreateCustomer(salesCtx, models.CustomerInput{Name: "Twin"})
			b, errB := f.st.CreateCustomer(salesCtx, models.CustomerInput{Name: "Twin"})
			wantCode(t, errA, "")
			wantCode(t, errB, "")
			if a.ID == b.ID {
				t.Fatalf("both customers got id %q", a.ID)
			}
		})

		refusals := []struct {
			name    string
			in      models.CustomerInput
			wantMsg string
		}{
			{"blank name", models.CustomerInput{Name: "   "}, "name is required"},
			{"long name", models.CustomerInput{Name: strings.Repeat("n", 201)}, "name is longer than 200 characters"},
			{"bad stripe id", models.CustomerInput{Name: "Bad Stripe", StripeCustomerID: "acct_1"}, `stripeCustomerId must look like "cus_…"`},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := f.on(t).count((*models.Customer)(nil), "")
				_, err := f.st.CreateCustomer(salesCtx, tt.in)
				wantCode(t, err, models.CodeBadUserInput)
				if models.ErrorMessage(err) != tt.wantMsg {
					t.Fatalf("message = %q, want %q", models.ErrorMessage(err), tt.wantMsg)
				}
				if after := f.on(t).count((*models.Customer)(nil), ""); after != before {
					t.Fatalf("customers went from %d to %d", before, after)
				}
			})
		}
	})
}

func TestFindCustomersPages(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		var want []string
		for i := 1; i <= 25; i++ {
			want = append(want, fmt.Sprintf("Customer %02d", i))
		}
		// Created out of order, so the page order can only come from the
		// names.
		order := slices.Clone(want)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, name := range order {
			f.customer(name)
		}

		t.Run("pages of 10 chain to the end", func(t *testing.T) {
			var got []string
			after := ""
			wantPages := []struct {
				names []string
				next  bool
			}{{want[0:10], true}, {want[10:20], true}, {want[20:25], false}}
			for i, wp := range wantPages {
				page, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 10, After: after})
				wantCode(t, err, "")
				names := customerNames(page.Customers)
				if !slices.Equal(names, wp.names) || page.HasNextPage != wp.next || page.TotalCount != 25 {
					t.Fatalf("page %d = %q, next %v, total %d; want %q, %v, 25", i+1, names, page.HasNextPage, page.TotalCount, wp.names, wp.next)
				}
				if len(page.Cursors) != len(page.Customers) {
					t.Fatalf("page %d has %d cursors for %d customers", i+1, len(page.Cursors), len(page.Customers))
				}
				got = append(got, names...)
				after = page.Cursors[len(page.Cursors)-1]
			}
			if !slices.Equal(got, want) {
				t.Fatalf("all pages = %q, want %q", got, want)
			}
			page, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 10, After: after})
			wantCode(t, err, "")
			if len(page.Customers) != 0 || page.HasNextPage || page.TotalCount != 25 {
				t.Fatalf("after the last = %q, next %v, total %d; want none, false, 25", customerNames(page.Customers), page.HasNextPage, page.TotalCount)
			}
		})

		t.Run("a cursor from the middle of a page", func(t *testing.T) {
			first, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 10})
			wantCode(t, err, "")
			page, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 3, After: first.Cursors[4]})
			wantCode(t, err, "")
			if got := customerNames(page.Customers); !slices.Equal(got, want[5:8]) || !page.HasNextPage {
				t.Fatalf("page = %q, next %v; want %q, true", got, page.HasNextPage, want[5:8])
			}
		})

		t.Run("exactly a page left has no next page", func(t *testing.T) {
			first, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 15})
			wantCode(t, err, "")
			page, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 10, After: first.Cursors[14]})
			wantCode(t, err, "")
			if got := customerNames(page.Customers); !slices.Equal(got, want[15:25]) || page.HasNextPage {
				t.Fatalf("page = %q, next %v; want %q, false", got, page.HasNextPage, want[15:25])
			}
		})

		t.Run("page sizes", func(t *testing.T) {
			tests := []struct {
				name  string
				first int
				want  int
				next  bool
			}{
				{"zero means 20", 0, 20, true},
				{"one", 1, 1, true},
				{"all", 25, 25, false},
				{"largest", 100, 25, false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					page, err := f.st.FindCustomers(supportCtx, "", store.Page{First: tt.first})
					wantCode(t, err, "")
					if len(page.Customers) != tt.want || page.HasNextPage != tt.next || page.TotalCount != 25 {
						t.Fatalf("got %d customers, next %v, total %d; want %d, %v, 25", len(page.Customers), page.HasNextPage, page.TotalCount, tt.want, tt.next)
					}
					if got := customerNames(page.Customers); !slices.Equal(got, want[:tt.want]) {
						t.Fatalf("names = %q, want %q", got, want[:tt.want])
					}
				})
			}
		})

		t.Run("bad pages", func(t *testing.T) {
			tests := []struct {
				name    string
				page    store.Page
				wantMsg string
			}{
				{"first over 100", store.Page{First: 101}, "first must be between 1 and 100"},
				{"negative first", store.Page{First: -1}, "first must be between 1 and 100"},
				{"garbage cursor", store.Page{After: "not a cursor!"}, "after is not a valid cursor"},
				{"base64 of garbage", store.Page{After: base64.RawURLEncoding.EncodeToString([]byte("garbage"))}, "after is not a valid cursor"},
				{"cursor without id", store.Page{After: base64.RawURLEncoding.EncodeToString([]byte(`{"k":"Customer 01"}`))}, "after is not a valid cursor"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					page, err := f.st.FindCustomers(supportCtx, "", tt.page)
					wantCode(t, err, models.CodeBadUserInput)
					if page != nil || models.ErrorMessage(err) != tt.wantMsg {
						t.Fatalf("got page %v, message %q; want nil, %q", page, models.ErrorMessage(err), tt.wantMsg)
					}
				})
			}
		})
	})
}

func TestFindCustomersOrdersEqualNamesByID(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		var ids []string
		for range 3 {
			ids = append(ids, f.customer("Twin").ID)
		}
		slices.Sort(ids)
		var got []string
		after := ""
		for range 3 {
			page, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 1, After: after})
			wantCode(t, err, "")
			if len(page.Customers) != 1 {
				t.Fatalf("page has %d customers, want 1", len(page.Customers))
			}
			got = append(got, page.Customers[0].ID)
			after = page.Cursors[0]
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("ids in page order = %q, want %q", got, ids)
		}
	})
}

func TestFindCustomersSearch(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		for _, name := range []string{"Acme Corp", "ACME Labs", "100% Pure", "100 Percent", "under_score", "underXscore", `Back\slash`} {
			f.customer(name)
		}
		globex := f.eligibleCustomer("Globex")
		f.subscribe(globex.ID, "globex-mail.example")
		initech := f.eligibleCustomer("Initech")
		f.subscribe(initech.ID, "initrode.example")

		tests := []struct {
			name   string
			search string
			want   []string
		}{
			{"empty lists all", "", []string{"100 Percent", "100% Pure", "ACME Labs", "Acme Corp", `Back\slash`, "Globex", "Initech", "underXscore", "under_score"}},
			{"name substring any case", "acme", []string{"ACME Labs", "Acme Corp"}},
			{"upper-case search", "ACME", []string{"ACME Labs", "Acme Corp"}},
			{"mixed-case search", "cOrP", []string{"Acme Corp"}},
			{"surrounding space trimmed", "  labs  ", []string{"ACME Labs"}},
			{"covered domain substring", "initrode", []string{"Initech"}},
			{"covered domain substring in upper case", "-MAIL.EX", []string{"Globex"}},
			{"name and domain both match once", "globex", []string{"Globex"}},
			{"percent sign is literal", "100%", []string{"100% Pure"}},
			{"lone percent sign is literal", "%", []string{"100% Pure"}},
			{"underscore is literal", "_", []string{"under_score"}},
			{"backslash is literal", `\`, []string{`Back\slash`}},
			{"no match", "umbrella", []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := f.st.FindCustomers(salesCtx, tt.search, store.Page{})
				wantCode(t, err, "")
				// Compared as sets: the order of names is the database's
				// collation, which is not what this test is about.
				got := customerNames(page.Customers)
				slices.Sort(got)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("FindCustomers(%q) = %q, want %q", tt.search, got, tt.want)
				}
				if page.TotalCount != len(tt.want) || page.HasNextPage {
					t.Fatalf("total %d, next %v; want %d, false", page.TotalCount, page.HasNextPage, len(tt.want))
				}
			})
		}

		t.Run("search with pages", func(t *testing.T) {
			first, err := f.st.FindCustomers(salesCtx, "acme", store.Page{First: 1})
			wantCode(t, err, "")
			if len(first.Customers) != 1 || !first.HasNextPage || first.TotalCount != 2 {
				t.Fatalf("first page = %q, next %v, total %d; want 1 customer, true, 2", customerNames(first.Customers), first.HasNextPage, first.TotalCount)
			}
			second, err := f.st.FindCustomers(salesCtx, "acme", store.Page{First: 1, After: first.Cursors[0]})
			wantCode(t, err, "")
			if len(second.Customers) != 1 || second.HasNextPage || second.TotalCount != 2 {
				t.Fatalf("second page = %q, next %v, total %d; want 1 customer, false, 2", customerNames(second.Customers), second.HasNextPage, second.TotalCount)
			}
			got := append(customerNames(first.Customers), customerNames(second.Customers)...)
			slices.Sort(got)
			if want := []string{"ACME Labs", "Acme Corp"}; !slices.Equal(got, want) {
				t.Fatalf("both pages = %q, want %q", got, want)
			}
		})
	})
}

func TestFindCustomersSearchNonASCIIName(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.customer("Ärzte Über GmbH")
		f.customer("Other")
		for _, search := range []string{"Ärzte", "ärzte", "ÄRZTE", "über gmbh"} {
			t.Run(search, func(t *testing.T) {
				page, err := f.st.FindCustomers(supportCtx, search, store.Page{})
				wantCode(t, err, "")
				if got := customerNames(page.Customers); !slices.Equal(got, []string{"Ärzte Über GmbH"}) || page.TotalCount != 1 {
					t.Fatalf("FindCustomers(%q) = %q, total %d; want [Ärzte Über GmbH], 1", search, got, page.TotalCount)
				}
			})
		}
	})
}

// TestFindCustomersPagesBackwards: pages read backwards (last, before) come
// in name order, chain to the start, agree with the forward pages and say
// which sides have more; mixing directions or a bad cursor is refused.
func TestFindCustomersPagesBackwards(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		var want []string
		for i := 1; i <= 25; i++ {
			want = append(want, fmt.Sprintf("Customer %02d", i))
		}
		order := slices.Clone(want)
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, name := range order {
			f.customer(name)
		}

		wantPages := []struct {
			names      []string
			prev, next bool
		}{{want[15:25], true, false}, {want[5:15], true, true}, {want[0:5], false, true}}
		var got []string
		before := ""
		for i, wp := range wantPages {
			page, err := f.st.FindCustomersIn(supportCtx, "", store.Span{Last: 10, Before: before})
			wantCode(t, err, "")
			names := customerNames(page.Customers)
			if !slices.Equal(names, wp.names) || page.HasPreviousPage != wp.prev || page.HasNextPage != (wp.next && before != "") || page.TotalCount != 25 {
				t.Fatalf("backward page %d = %q, prev %v, next %v; want %q, %v", i+1, names, page.HasPreviousPage, page.HasNextPage, wp.names, wp.prev)
			}
			got = append(names, got...)
			before = page.Cursors[0]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("all backward pages = %q, want %q", got, want)
		}

		// A forward cursor works backwards too: the page before the 12th.
		fwd, err := f.st.FindCustomers(supportCtx, "", store.Page{First: 12})
		wantCode(t, err, "")
		page, err := f.st.FindCustomersIn(supportCtx, "", store.Span{Last: 3, Before: fwd.Cursors[11]})
		wantCode(t, err, "")
		if names := customerNames(page.Customers); !slices.Equal(names, want[8:11]) || !page.HasPreviousPage || !page.HasNextPage {
			t.Fatalf("3 before the 12th = %q, prev %v, next %v; want %q, true, true", names, page.HasPreviousPage, page.HasNextPage, want[8:11])
		}

		for _, bad := range []store.Span{{First: 2, Last: 2}, {Last: 2, After: fwd.Cursors[0]}, {Last: 101}, {Last: 2, Before: "not-a-cursor"}} {
			_, err := f.st.FindCustomersIn(supportCtx, "", bad)
			wantCode(t, err, models.CodeBadUserInput)
		}
	})
}
