package auth

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/prioritysupport/backend/models"
)

func TestMiddleware(t *testing.T) {
	v := mustVerifier(t, Config{HS256Secret: testSecret})
	s, err := NewHS256Signer(testSecret, "", "")
	if err != nil {
		t.Fatalf("NewHS256Signer: %v", err)
	}
	good, err := s.Sign(Claims{Subject: "user-1", Roles: []Role{RoleCustomer}, CustomerID: "cust-1"})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	wrongSecret := signRaw(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdefg"), validClaims())
	now := time.Now()
	expired := signRaw(t, jwt.SigningMethodHS256, testSecret,
		with(with(validClaims(), "iat", now.Add(-2*time.Hour).Unix()), "exp", now.Add(-time.Hour).Unix()))

	tests := []struct {
		name       string
		header     []string // Authorization values; nil means no header
		token      string   // the secret part that must never be logged
		wantStatus int
		wantCaller string // subject expected in the context; "" means anonymous
		wantReason string // message expected in the 401 body
	}{
		{name: "no header", wantStatus: http.StatusOK},
		{name: "good token", header: []string{"Bearer " + good}, token: good, wantStatus: http.StatusOK, wantCaller: "user-1"},
		{name: "lowercase scheme", header: []string{"bearer " + good}, token: good, wantStatus: http.StatusOK, wantCaller: "user-1"},
		{name: "wrong secret", header: []string{"Bearer " + wrongSecret}, token: wrongSecret, wantStatus: http.StatusUnauthorized, wantReason: "invalid token"},
		{name: "expired", header: []string{"Bearer " + expired}, token: expired, wantStatus: http.StatusUnauthorized, wantReason: "token expired"},
		{name: "garbage token", header: []string{"Bearer abc"}, wantStatus: http.StatusUnauthorized, wantReason: "invalid token"},
		{name: "basic scheme", header: []string{"Basic " + good}, token: good, wantStatus: http.StatusUnauthorized, wantReason: "malformed authorization header"},
		{name: "scheme only", header: []string{"Bearer"}, wantStatus: http.StatusUnauthorized, wantReason: "malformed authorization header"},
		{name: "empty value", header: []string{""}, wantStatus: http.StatusUnauthorized, wantReason: "malformed authorization header"},
		{name: "two tokens", header: []string{"Bearer " + good + " " + good}, token: good, wantStatus: http.StatusUnauthorized, wantReason: "malformed authorization header"},
		{name: "two headers", header: []string{"Bearer " + good, "Bearer " + good}, token: good, wantStatus: http.StatusUnauthorized, wantReason: "malformed authorization header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))

			reached := false
			var gotCaller Caller
			var gotOK bool
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				gotCaller, gotOK = FromContext(r.Context())
				w.WriteHeader(http.StatusOK)
			})

			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			Middleware(v, log)(next).ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			for _, secret := range []string{tt.token, strings.Join(tt.header, ", ")} {
				if secret != "" && strings.Contains(logs.String(), secret) {
					t.Errorf("log contains the token or header: %s", logs.String())
				}
			}
			if tt.token != "" {
				for _, seg := range strings.Split(tt.token, ".") {
					if strings.Contains(logs.String(), seg) || strings.Contains(rec.Body.String(), seg) {
						t.Errorf("log or body contains token segment %q", seg)
					}
				}
			}

			if tt.wantStatus == http.StatusOK {
				if !reached {
					t.Fatal("next handler not reached")
				}
				if gotOK != (tt.wantCaller != "") || gotCaller.Subject != tt.wantCaller {
					t.Errorf("caller = %+v, %v; want subject %q", gotCaller, gotOK, tt.wantCaller)
				}
				if logs.Len() != 0 {
					t.Errorf("unexpected log output: %s", logs.String())
				}
				return
			}

			if reached {
				t.Error("next handler reached for a refused request")
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var body struct {
				Errors []struct {
					Message    string `json:"message"`
					Extensions struct {
						Code string `json:"code"`
					} `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
			}
			if len(body.Errors) != 1 {
				t.Fatalf("body has %d errors, want 1: %s", len(body.Errors), rec.Body.String())
			}
			if got := body.Errors[0].Extensions.Code; got != models.CodeUnauthenticated {
				t.Errorf("code = %q, want %q", got, models.CodeUnauthenticated)
			}
			if got := body.Errors[0].Message; got != tt.wantReason {
				t.Errorf("message = %q, want %q", got, tt.wantReason)
			}

			var entry map[string]any
			if err := json.Unmarshal(logs.Bytes(), &entry); err != nil {
				t.Fatalf("log %q is not one JSON line: %v", logs.String(), err)
			}
			if entry["level"] != "WARN" || entry["msg"] != "token refused" || entry["reason"] != tt.wantReason || entry["path"] != "/graphql" {
				t.Errorf("log entry = %v", entry)
			}
		})
	}
}
