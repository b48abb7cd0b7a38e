// Package webhook tells the social team's tools when a message changes, the Standard Webhooks way
// (https://www.standardwebhooks.com): a signed JSON POST per configured endpoint, delivered through
// asynq on a queue of its own and retried over about a day. Emit turns an event into one task per
// endpoint; Deliverer sends them. The package owns the webhook tasks, the signature and the refusal of
// private targets; the message's status stays in S3, where the deliverer only reads and writes the
// marker of an endpoint that answered 410 Gone.
package webhook

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"github.com/quinte-media/quinte/message"
)

// The events quinte sends.
const (
	MessageReady    = message.EventReady
	MessageFailed   = message.EventFailed
	MessageApproved = message.EventApproved
	MessageRejected = message.EventRejected
	MessageRevoked  = message.EventRevoked
)

// Events lists every event type.
var Events = []string{MessageReady, MessageFailed, MessageApproved, MessageRejected, MessageRevoked}

// Task type and queue of a delivery: a queue of its own, served by a server of its own, so a delivery
// never waits for a job slot behind a video encode.
const (
	TypeDeliver = "webhook:deliver"
	QueueName   = "webhooks"
)

// Config lists the endpoints. The zero Config sends nothing.
type Config struct {
	Endpoints Endpoints `yaml:"endpoints"`
	// AllowPrivate lets endpoints resolve to loopback, private and link-local addresses (a receiver
	// on the same host or network, and the tests); off, such a target is refused when dialled.
	AllowPrivate bool `yaml:"allow_private"`
	// Concurrency is how many deliveries a worker process runs at once (their own slots, beside the
	// media jobs').
	Concurrency int `yaml:"concurrency"`
}

// Endpoint is one receiver.
type Endpoint struct {
	URL    string `yaml:"url" json:"url"`
	Secret string `yaml:"secret" json:"secret"` // whsec_<base64 of 24 to 64 random bytes>
	// Events it wants; empty means all of them.
	Events []string `yaml:"events" json:"events,omitempty"`
}

// Endpoints is the endpoint list; QUINTE_WEBHOOKS gives it as JSON.
type Endpoints []Endpoint

// UnmarshalText reads QUINTE_WEBHOOKS: a JSON array of {"url", "secret", "events"}.
func (e *Endpoints) UnmarshalText(b []byte) error {
	var list []Endpoint
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return fmt.Errorf(`want a JSON array such as [{"url":"https://tools.example.org/quinte","secret":"whsec_…","events":["message.ready"]}]: %v`, err)
	}
	*e = list
	return nil
}

// ID names the endpoint in tasks, logs and its disabled marker: a hash of its URL, so a new URL is a
// new endpoint (and an endpoint disabled by a 410 comes back when its URL changes).
func (e Endpoint) ID() string {
	sum := sha256.Sum256([]byte(e.URL))
	return "ep_" + hex.EncodeToString(sum[:8])
}

// Wants reports whether the endpoint subscribes to event.
func (e Endpoint) Wants(event string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, event)
}

// Key is the HMAC key of the endpoint: the base64-decoded part of the secret after whsec_.
func (e Endpoint) Key() ([]byte, error) { return SecretKey(e.Secret) }

// SecretKey decodes a whsec_ secret.
func SecretKey(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("the secret does not start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("the secret after whsec_ is not standard base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("the secret holds %d bytes; Standard Webhooks wants 24 to 64 (openssl rand -base64 32)", len(key))
	}
	return key, nil
}

// Validate checks every endpoint: an http(s) URL, a whsec_ secret, known events, and (unless private
// targets are allowed) no literal private address. Names that resolve to one are refused when dialled.
func (c Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, e := range c.Endpoints {
		where := fmt.Sprintf("QUINTE_WEBHOOKS endpoint %d (%s)", i+1, e.URL)
		u, err := url.Parse(e.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			errs = append(errs, fmt.Errorf("%s: the url is not an http(s)://host/path URL without credentials", where))
			continue
		}
		if seen[e.URL] {
			errs = append(errs, fmt.Errorf("%s: listed twice", where))
		}
		seen[e.URL] = true
		if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !c.AllowPrivate && Private(ip) {
			errs = append(errs, fmt.Errorf("%s: %s is a loopback, private or link-local address; set QUINTE_WEBHOOKS_ALLOW_PRIVATE=true if that receiver is meant", where, ip))
		}
		if _, err := e.Key(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", where, err))
		}
		for _, ev := range e.Events {
			if !slices.Contains(Events, ev) {
				errs = append(errs, fmt.Errorf("%s: unknown event %q (known: %s)", where, ev, strings.Join(Events, ", ")))
			}
		}
	}
	if c.Concurrency < 0 {
		errs = append(errs, errors.New("QUINTE_WEBHOOKS_CONCURRENCY must be 0 (automatic) or more"))
	}
	return errors.Join(errs...)
}

// Slots is how many deliveries run at once: Concurrency, or 4.
func (c Config) Slots() int {
	if c.Concurrency > 0 {
		return c.Concurrency
	}
	return 4
}

// endpoint finds an endpoint by ID.
func (c Config) endpoint(id string) (Endpoint, bool) {
	for _, e := range c.Endpoints {
		if e.ID() == id {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Private reports whether ip is one a webhook must not reach without AllowPrivate: loopback,
// private (RFC 1918, unique local), link-local (cloud metadata lives at 169.254.169.254), shared
// (100.64/10), unspecified, multicast, or the IPv4 "this network" block.
func Private(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		shared.Contains(ip) || thisNet.Contains(ip) || !ip.IsValid()
}

var (
	shared  = netip.MustParsePrefix("100.64.0.0/10")
	thisNet = netip.MustParsePrefix("0.0.0.0/8")
)

// RefusedError is a delivery refused because the endpoint resolved to a private address.
type RefusedError struct{ IP netip.Addr }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the endpoint resolved to %s, a loopback, private or link-local address: refused (QUINTE_WEBHOOKS_ALLOW_PRIVATE=true allows it)", e.IP)
}

// refusePrivate is a net.Dialer Control: it sees the address actually dialled, after DNS, so a name
// that resolves to a public address when checked and a private one when used cannot get through.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dialling %q: not an IP address", address)
	}
	if Private(ip) {
		return &RefusedError{IP: ip.Unmap()}
	}
	return nil
}
