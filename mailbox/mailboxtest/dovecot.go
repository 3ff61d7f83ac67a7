// Package mailboxtest runs a private Dovecot IMAP server for tests: its own
// configuration, base directory and Maildir in temporary folders, a
// throw-away user in a passwd file, plain-text IMAP on a free loopback
// port. Tests skip when dovecot is not installed, except under CI (CI or
// PS_REQUIRE_DOVECOT set), where they fail.
package mailboxtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// User and Password are the throw-away account's credentials.
const (
	User     = "support"
	Password = "correct horse battery staple"
)

// Server is a running Dovecot.
type Server struct {
	// Addr is the IMAP listener, 127.0.0.1:port.
	Addr string
	dir  string
	cmd  *exec.Cmd
}

// Binary returns the path of dovecot, or "" when it is not installed
// (looked up on PATH, then in /usr/sbin and /usr/local/sbin, where packages
// put it).
func Binary() string {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Start starts a Dovecot for t, stopped when t ends. Without dovecot
// installed it skips t, or fails it when CI is set.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartOAuth2(t, "")
}

// StartOAuth2 is Start with SASL XOAUTH2 and OAUTHBEARER logins too, whose
// tokens Dovecot checks with an OAuth2 introspection endpoint at
// introspectionURL (a POST of token=…, answered with {"active": true,
// "username": User}); "" means password logins only.
func StartOAuth2(t testing.TB, introspectionURL string) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "dovecot is not installed (apt-get install dovecot-imapd); the IMAP tests need it"
		if os.Getenv("CI") != "" || os.Getenv("PS_REQUIRE_DOVECOT") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// A short base directory: Dovecot's sockets live there, and socket
	// paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "dovecot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"run", "state", "mail", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	internal, login, mailUser := currentUser(t), currentUser(t), currentUser(t)
	if os.Geteuid() == 0 {
		// Dovecot runs its login and internal processes, and mail access,
		// as users other than root: the ones its package creates.
		internal, login, mailUser = lookupUser(t, "dovecot"), lookupUser(t, "dovenull"), lookupUser(t, "dovecot")
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"mail", "home"} {
			if err := os.Chown(filepath.Join(dir, d), mailUser.uid, mailUser.gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::\n", User, Password, mailUser.uid, mailUser.gid, filepath.Join(dir, "home"))
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	oauth2 := ""
	if introspectionURL != "" {
		ext := filepath.Join(dir, "oauth2.conf.ext")
		conf := "introspection_mode = post\nintrospection_url = " + introspectionURL +
			"\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n"
		if err := os.WriteFile(ext, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		oauth2 = "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = " + ext + "\n}\n"
	}
	for attempt := 0; ; attempt++ {
		s, err := start(bin, dir, internal, login, oauth2)
		if err == nil {
			t.Cleanup(s.stop)
			return s
		}
		if attempt == 2 {
			t.Fatalf("start dovecot: %v", err)
		}
	}
}

// account is a system user Dovecot runs as.
type account struct {
	name, group string
	uid, gid    int
}

// currentUser returns the user the test runs as.
func currentUser(t testing.TB) account {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return toAccount(t, u)
}

// lookupUser returns a system user by name.
func lookupUser(t testing.TB, name string) account {
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("dovecot runs as root only with its package's users: %v", err)
	}
	return toAccount(t, u)
}

func toAccount(t testing.TB, u *user.User) account {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	return account{name: u.Username, group: g.Name, uid: uid, gid: gid}
}

// start writes the configuration for a free port and starts Dovecot in
// the foreground, waiting for its greeting.
func start(bin, dir string, internal, login account, oauth2 string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
default_internal_user = %[2]s
default_internal_group = %[3]s
default_login_user = %[4]s
first_valid_uid = 1
mail_location = maildir:%[1]s/mail/%%u
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
%[6]suserdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
}
`, dir, internal.name, internal.group, login.name, port, oauth2)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-F", "-c", confPath)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if greeted(s.Addr) {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			return nil, fmt.Errorf("no greeting on %s: %s %s", s.Addr, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// greeted reports whether an IMAP greeting comes from addr.
func greeted(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "* OK")
}

// stop ends Dovecot and its child processes.
func (s *Server) stop() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Log returns Dovecot's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	return string(b)
}

// Client returns a client logged in as User, closed when t ends.
func (s *Server) Client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(User, Password).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

// Append appends raw messages to folder in order and returns their UIDs.
func Append(t testing.TB, c *imapclient.Client, folder string, raws ...[]byte) []imap.UID {
	t.Helper()
	uids := make([]imap.UID, 0, len(raws))
	for _, raw := range raws {
		cmd := c.Append(folder, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatalf("append to %s: %v", folder, err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatalf("append to %s: %v", folder, err)
		}
		data, err := cmd.Wait()
		if err != nil {
			t.Fatalf("append to %s: %v", folder, err)
		}
		uids = append(uids, data.UID)
	}
	return uids
}

// Recreate deletes folder and creates it again, empty, with a new
// UIDVALIDITY, which it returns.
func Recreate(t testing.TB, c *imapclient.Client, folder string) uint32 {
	t.Helper()
	if err := c.Delete(folder).Wait(); err != nil {
		t.Fatalf("delete %s: %v", folder, err)
	}
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("create %s: %v", folder, err)
	}
	data, err := c.Status(folder, &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatalf("status %s: %v", folder, err)
	}
	return data.UIDValidity
}

// Create creates folder.
func Create(t testing.TB, c *imapclient.Client, folder string) {
	t.Helper()
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("create %s: %v", folder, err)
	}
}

// Seen returns the UIDs of folder's messages flagged \Seen, ascending.
func Seen(t testing.TB, c *imapclient.Client, folder string) []imap.UID {
	t.Helper()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("examine %s: %v", folder, err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatalf("search %s: %v", folder, err)
	}
	return data.AllUIDs()
}
