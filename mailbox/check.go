package mailbox

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/prioritysupport/backend/store"
)

// Progress returns how far account's folder has been read
// (store.Store.MailboxProgressOf).
type Progress func(ctx context.Context, account, folder string) (store.MailboxProgress, error)

// CheckReport is what Check found: the server's folders and, for each
// folder the connector would read, where it would start.
type CheckReport struct {
	Server, User, Security string
	Idle                   bool
	Folders                []CheckFolder
	// Missing are configured folders the server does not have (SentFolder
	// when no folder is marked \Sent).
	Missing []string
}

// CheckFolder is one folder of the server.
type CheckFolder struct {
	Name       string
	SpecialUse []string // SPECIAL-USE attributes: \Sent, \Drafts, …
	Read       bool     // the connector reads it
	// For a folder read: its UIDVALIDITY, UIDNEXT and message count now,
	// and the first UID the next run reads (1 for a folder never read or
	// whose UIDVALIDITY changed: read again from the start).
	UIDValidity, UIDNext, Messages uint32
	FromUID                        uint32
	ProgressErr                    error
}

// Check logs in, lists the folders with their SPECIAL-USE attributes and
// says which the connector would read and from which UID, changing
// nothing (folders are examined read-only). progress may be nil when no
// database is at hand. It returns a *LoginError when the server refuses
// the credentials.
func Check(ctx context.Context, cfg Config, progress Progress) (*CheckReport, error) {
	cfg = cfg.withDefaults()
	s, err := dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.logout()
	all, err := s.list()
	if err != nil {
		return nil, err
	}
	names, missing := resolve(cfg.Folders, all)
	r := &CheckReport{Server: cfg.Server, User: cfg.User, Security: cfg.Security.String(), Missing: missing,
		Idle: s.client.Caps().Has(imap.CapIdle) || s.client.Caps().Has(imap.CapIMAP4rev2)}
	for _, f := range all {
		cf := CheckFolder{Name: f.Name, Read: slices.Contains(names, f.Name)}
		for _, a := range f.Attrs {
			if specialUse(a) {
				cf.SpecialUse = append(cf.SpecialUse, string(a))
			}
		}
		if cf.Read {
			sel, err := s.client.Select(f.Name, &imap.SelectOptions{ReadOnly: true}).Wait()
			if err != nil {
				return nil, fmt.Errorf("examine %q: %w", f.Name, err)
			}
			cf.UIDValidity, cf.UIDNext, cf.Messages, cf.FromUID = sel.UIDValidity, uint32(sel.UIDNext), sel.NumMessages, 1
			if progress != nil {
				p, err := progress(ctx, cfg.Account(), f.Name)
				switch {
				case err != nil:
					cf.ProgressErr = err
				case p.UIDValidity == sel.UIDValidity:
					cf.FromUID = p.LastUID + 1
				}
			}
		}
		r.Folders = append(r.Folders, cf)
	}
	return r, nil
}

// specialUse reports whether a is one of RFC 6154's SPECIAL-USE attributes.
func specialUse(a imap.MailboxAttr) bool {
	switch a {
	case imap.MailboxAttrAll, imap.MailboxAttrArchive, imap.MailboxAttrDrafts, imap.MailboxAttrFlagged,
		imap.MailboxAttrJunk, imap.MailboxAttrSent, imap.MailboxAttrTrash, imap.MailboxAttrImportant:
		return true
	}
	return false
}

// Print writes the report for a person.
func (r *CheckReport) Print(w io.Writer) {
	fmt.Fprintf(w, "logged in to %s as %q (%s); IDLE: %v\n", r.Server, r.User, r.Security, r.Idle)
	fmt.Fprintln(w, "folders:")
	for _, f := range r.Folders {
		line := "  " + f.Name
		if len(f.SpecialUse) > 0 {
			line += " (" + strings.Join(f.SpecialUse, " ") + ")"
		}
		if f.Read {
			line += fmt.Sprintf(": read from UID %d (UIDVALIDITY %d, UIDNEXT %d, %d messages)", f.FromUID, f.UIDValidity, f.UIDNext, f.Messages)
			if f.ProgressErr != nil {
				line += "; progress unknown: " + f.ProgressErr.Error()
			}
		}
		fmt.Fprintln(w, line)
	}
	for _, m := range r.Missing {
		fmt.Fprintf(w, "not found, not read: %s\n", m)
	}
}
