package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// LoginError is a login the IMAP server refused: wrong password, expired
// token, IMAP access disabled for the account. It carries the server's
// answer, never the credentials.
type LoginError struct {
	User, Server string
	Err          error
}

// Error names the account and says what to check.
func (e *LoginError) Error() string {
	return fmt.Sprintf("imap server %s refused the login of %q (check PS_IMAP_PASSWORD, PS_IMAP_PASSWORD_FILE or PS_IMAP_OAUTH2_TOKEN_FILE, and that IMAP access is enabled for the account): %v",
		e.Server, e.User, e.Err)
}

// Unwrap returns the server's answer.
func (e *LoginError) Unwrap() error { return e.Err }

// session is one logged-in connection to the IMAP server.
type session struct {
	client *imapclient.Client
	// newMail receives a value when the server announces a new message
	// count in the selected folder (EXISTS), as it does during IDLE.
	newMail chan struct{}
	stop    func() bool
}

// dial connects to the server and logs in, within cfg.Timeout; the
// connection is closed when ctx ends.
func dial(ctx context.Context, cfg Config) (*session, error) {
	s := &session{newMail: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		Dialer: &net.Dialer{Timeout: cfg.Timeout},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case s.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var err error
	switch cfg.Security {
	case SecurityTLS:
		s.client, err = imapclient.DialTLS(cfg.Server, opts)
	case SecurityStartTLS:
		s.client, err = imapclient.DialStartTLS(cfg.Server, opts)
	default:
		s.client, err = imapclient.DialInsecure(cfg.Server, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to imap server %s (%s): %w", cfg.Server, cfg.Security, err)
	}
	// Closing the connection ends any command waiting on it.
	s.stop = context.AfterFunc(ctx, func() { s.client.Close() })
	loggedIn := make(chan error, 1)
	go func() { loggedIn <- s.login(cfg) }()
	timer := time.NewTimer(cfg.Timeout)
	defer timer.Stop()
	select {
	case err = <-loggedIn:
	case <-timer.C:
		s.close()
		<-loggedIn
		err = fmt.Errorf("imap server %s did not answer the login within %s", cfg.Server, cfg.Timeout)
	}
	if err != nil {
		s.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return s, nil
}

// login waits for the greeting and logs in with the password or, with an
// OAuth2 token file, with SASL XOAUTH2 (the token read now).
func (s *session) login(cfg Config) error {
	if err := s.client.WaitGreeting(); err != nil {
		return fmt.Errorf("imap server %s: %w", cfg.Server, err)
	}
	var err error
	if cfg.OAuth2TokenFile != "" {
		token, terr := readToken(cfg.OAuth2TokenFile)
		if terr != nil {
			return terr
		}
		err = s.client.Authenticate(&xoauth2{user: cfg.User, token: token})
	} else {
		if s.client.Caps().Has(imap.CapLoginDisabled) {
			return fmt.Errorf("imap server %s refuses LOGIN on this connection; use imaps:// or ?starttls=true", cfg.Server)
		}
		err = s.client.Login(cfg.User, cfg.Password).Wait()
	}
	var ierr *imap.Error
	if errors.As(err, &ierr) {
		return &LoginError{User: cfg.User, Server: cfg.Server, Err: ierr}
	}
	if err != nil {
		return fmt.Errorf("imap login on %s: %w", cfg.Server, err)
	}
	return nil
}

// close logs out briefly and closes the connection.
func (s *session) close() {
	if s.stop != nil {
		s.stop()
	}
	s.client.Close()
}

// logout ends the session politely, then closes the connection.
func (s *session) logout() {
	done := make(chan struct{})
	go func() {
		s.client.Logout().Wait() //nolint:errcheck // the connection is closed next anyway
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	s.close()
}

// folder is one mailbox folder as LIST shows it.
type folder struct {
	Name  string
	Attrs []imap.MailboxAttr
}

// list returns every folder, with its SPECIAL-USE attributes when the
// server supports them.
func (s *session) list() ([]folder, error) {
	var opts *imap.ListOptions
	if s.client.Caps().Has(imap.CapSpecialUse) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	data, err := s.client.List("", "*", opts).Collect()
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	out := make([]folder, 0, len(data))
	for _, d := range data {
		if slices.Contains(d.Attrs, imap.MailboxAttrNoSelect) || slices.Contains(d.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		out = append(out, folder{Name: d.Mailbox, Attrs: d.Attrs})
	}
	return out, nil
}

// resolve returns the names of the folders to read, in the configured
// order without repeats: SentFolder becomes the folder marked \Sent (none
// when the server marks none: missing lists it); another name must exist
// (INBOX in any case).
func resolve(configured []string, all []folder) (names []string, missing []string) {
	for _, want := range configured {
		found := ""
		for _, f := range all {
			switch {
			case want == SentFolder && slices.Contains(f.Attrs, imap.MailboxAttrSent),
				want != SentFolder && (f.Name == want || strings.EqualFold(want, "INBOX") && strings.EqualFold(f.Name, "INBOX")):
				found = f.Name
			}
			if found != "" {
				break
			}
		}
		switch {
		case found == "":
			missing = append(missing, want)
		case !slices.Contains(names, found):
			names = append(names, found)
		}
	}
	return names, missing
}

// xoauth2 is the SASL XOAUTH2 mechanism of Google and Microsoft: the user
// and an OAuth2 access token in one message.
type xoauth2 struct {
	user, token string
}

// Start returns the mechanism and its one message.
func (a *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

// Next answers the server's error challenge (a JSON status) with an empty
// response, after which the server fails the exchange with its reason.
func (a *xoauth2) Next(challenge []byte) ([]byte, error) {
	return []byte{}, nil
}
