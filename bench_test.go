package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
)

// BenchmarkCustomersPage measures the dashboard's heaviest read so far
// through the real HTTP server on SQLite: a page of 50 customers with their
// licenses, subscriptions and domains.
func BenchmarkCustomersPage(b *testing.B) {
	s := newTestServer(b, testdb.SQLite(b), nil)
	for i := 0; i < 50; i++ {
		s.mustCustomer(fmt.Sprintf("Bench %02d", i), fmt.Sprintf("bench%02d.example", i))
	}
	body, _ := json.Marshal(map[string]any{"query": `{ customers(first: 50) { totalCount edges { node { id name licenses { key valid } supportSubscriptions { id status domains monthlyFee { cents } } } } } }`})
	tok := s.token("", auth.RoleSupport)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || n < 5000 {
			b.Fatalf("status %d, %d bytes", res.StatusCode, n)
		}
	}
}

// BenchmarkVerifyToken measures verifying one HS256 token.
func BenchmarkVerifyToken(b *testing.B) {
	v, err := auth.NewVerifier(auth.Config{HS256Secret: []byte(testSecret), Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := auth.NewHS256Signer([]byte(testSecret), testIssuer, testAudience)
	tok, _ := signer.Sign(auth.Claims{Subject: "u", Roles: []auth.Role{auth.RoleCustomer}, CustomerID: "c"})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngestEmail measures POST /inbound/email through the real HTTP
// server on SQLite: signature check, MIME parsing, threading, priority and
// clock replay. Half the messages open priority tickets, half reply on
// them (so each reply replays a ticket's clocks).
func BenchmarkIngestEmail(b *testing.B) {
	clock := newClock(utc(b, "2026-11-10 08:00"))
	s := newTestServerAt(b, testdb.SQLite(b), clock.Now, nil)
	s.mustPriorityCustomer("Bench Ingest", utc(b, "2026-01-01 00:00"), "ingest.example")
	at := utc(b, "2026-11-10 09:00")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := email{From: "a@ingest.example", Subject: "Bench", MessageID: fmt.Sprintf("bench-%d@ingest.example", i), Received: at.Add(time.Duration(i) * time.Second),
			Body: "A question with some text in it.\r\n\r\n> quoted earlier text\r\n"}
		if i%2 == 1 {
			e.From, e.InReplyTo = "s@support.vendor.test", fmt.Sprintf("bench-%d@ingest.example", i-1)
		}
		if r := s.ingest(e.raw()); r.Status != http.StatusOK {
			b.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	}
}
