// Package message holds what quinte knows about one artist's message: its id, the keys of everything it
// owns in S3, its status record and its manifest. S3 is the source of truth; this package only names and
// (de)serialises, and must not know about HTTP, queues or ffmpeg.
package message

import (
	"crypto/rand"
	"encoding/binary"
	"regexp"
	"strings"
	"time"
)

// Kind is what the original is, as far as quinte is concerned.
type Kind string

const (
	KindVideo Kind = "video"
	KindImage Kind = "image"
	KindAudio Kind = "audio"
)

// Status is where a message is in its life.
type Status string

const (
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusReady      Status = "ready"
	StatusFailed     Status = "failed"
	StatusRevoked    Status = "revoked" // consent withdrawn: everything deleted but the record (Record.Revoked)
)

// Terminal reports whether nothing more will happen to a message in this status.
func (s Status) Terminal() bool { return s == StatusReady || s == StatusFailed || s == StatusRevoked }

// Error is why a message failed, in words a person can act on.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Record is the status record stored at StatusKey.
type Record struct {
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind"`
	Status   Status   `json:"status"`
	Error    *Error   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Note says why the message is in its status when that is not the usual course: a job given back
	// to the queue when its worker was stopped. UpdatedAt says when.
	Note string `json:"note,omitempty"`
	// Attempts counts the jobs started on the message since it was last queued by a person (an upload,
	// new captions); Crashes those whose process died before the job ended. They live here, not only
	// in Redis, so that a restart (the embedded queue forgets everything) does not forget them.
	Attempts int `json:"attempts,omitempty"`
	Crashes  int `json:"crashes,omitempty"`
	// Running names the job in progress (which worker, since when) and is cleared when the job ends
	// in any way its worker sees. A job that finds it set at its start knows the previous one's
	// process died under it.
	Running   string    `json:"running,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Review is the team's last decision on the message (nil: pending), ReviewHistory every decision
	// in order, kept as an audit (review.go).
	Review        *Review  `json:"review,omitempty"`
	ReviewHistory []Review `json:"review_history,omitempty"`

	// Revoked says who withdrew the message's consent, when, and which keys were deleted; it is set
	// with StatusRevoked, and the record is then all that remains.
	Revoked *Revocation `json:"revoked,omitempty"`

	// Early are the outputs the running job published before the rest (a video's poster, right after
	// the subject analysis), with their keys: the API shows them while the message is processing. The
	// manifest lists them again at the end, and the record drops them when the job ends.
	Early []Output `json:"early,omitempty"`
}

// Requeue puts the record back to queued with a clean slate, as a person's change (new captions)
// does: no error, warnings, note, and no attempts counted against the next run.
func (r *Record) Requeue() {
	r.Status, r.Error, r.Warnings, r.Note = StatusQueued, nil, nil, ""
	r.Attempts, r.Crashes, r.Running, r.Early = 0, 0, "", nil
}

// Progress is how far a message being processed is: the step its job is in ("probe", "analyze",
// "subjects", "plan", "poster", "encode", "finish", "verify", "publish") and the percent of that step
// done. The worker stores it at ProgressKey while it works; it is a passing figure, not part of the
// record.
type Progress struct {
	Stage     string    `json:"stage"`
	Percent   int       `json:"percent"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Meta describes the original as it arrived; it is stored at MetaKey next to the original. Filename is
// kept only as data: it never becomes a path, a key or an argument.
type Meta struct {
	ID          string    `json:"id"`
	Kind        Kind      `json:"kind"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Filename    string    `json:"filename,omitempty"`
	Artist      string    `json:"artist,omitempty"`
	Title       string    `json:"title,omitempty"`
	Consent     *Consent  `json:"consent,omitempty"`
	Via         string    `json:"via"`                 // "multipart" or "tus"
	InviteID    string    `json:"invite_id,omitempty"` // the invite it was uploaded with; empty for the team
	Campaign    string    `json:"campaign,omitempty"`  // a campaign name (configs/campaigns/{name}.yaml); see ValidCampaign
	Captions    string    `json:"captions,omitempty"`  // CaptionsKey(ID) when a .srt/.vtt was supplied
	CreatedAt   time.Time `json:"created_at"`

	// MaxSeconds is the longest recording the invite allowed (0: the pipeline's own limit only).
	MaxSeconds int `json:"max_seconds,omitempty"`
}

// Roles of outputs.
const (
	RoleRendition  = "rendition"
	RolePoster     = "poster"
	RoleThumbnail  = "thumbnail"
	RoleCrop       = "crop"
	RolePreview    = "preview"
	RoleStoryboard = "storyboard"
	RoleCaption    = "caption"
	RoleImage      = "image"
	RoleHLS        = "hls"       // an HLS master playlist; its variants and segments are its Parts
	RoleAudiogram  = "audiogram" // a waveform video made from an audio-only message
)

// Output is one published file. Key is set in the manifest, URL only in API answers.
type Output struct {
	Name        string  `json:"name"`
	Role        string  `json:"role"`
	Width       int     `json:"width,omitempty"`
	Height      int     `json:"height,omitempty"`
	Duration    float64 `json:"duration,omitempty"`
	ContentType string  `json:"content_type"`
	Size        int64   `json:"size"`
	Mode        string  `json:"mode,omitempty"`
	Key         string  `json:"key,omitempty"`
	URL         string  `json:"url,omitempty"`
	// Parts are the keys of the other files of a multi-file output (an HLS master's variant playlists,
	// init and media segments). They sit next to Key and the playlists name them by relative path, so a
	// player that can fetch Key's folder (public read on the prefix, or an API that signs each part)
	// plays them.
	Parts []string `json:"parts,omitempty"`
	// Why says, in the team's view only, why this output is what it is (from the plan; why.go);
	// Filename is the name URL downloads as (URL answers as an attachment).
	Why      []Why  `json:"why,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Manifest is written last, at ManifestKey: its presence means every output it lists is in S3.
type Manifest struct {
	ID          string    `json:"id"`
	Kind        Kind      `json:"kind"`
	Outputs     []Output  `json:"outputs"`
	Warnings    []string  `json:"warnings,omitempty"`
	Probe       any       `json:"probe,omitempty"`
	Plan        any       `json:"plan,omitempty"`
	Finish      any       `json:"finish,omitempty"` // what the run chose (the poster, the preview's start), kept out of the plan
	PublishedAt time.Time `json:"published_at"`
}

// Keys in the bucket. Everything a message owns is under one of two prefixes.
const (
	OriginalsPrefix = "originals/"
	MessagesPrefix  = "messages/"
)

func OriginalKey(id string) string { return OriginalsPrefix + id + "/source" }
func MetaKey(id string) string     { return OriginalsPrefix + id + "/meta.json" }
func CaptionsKey(id string) string { return OriginalsPrefix + id + "/captions" }
func StatusKey(id string) string   { return MessagesPrefix + id + "/status.json" }
func ManifestKey(id string) string { return MessagesPrefix + id + "/manifest.json" }
func ProgressKey(id string) string { return MessagesPrefix + id + "/progress.json" }

// OutputKey is where an output called name (such as "rendition/720p") with extension ext is published.
func OutputKey(id, name, ext string) string { return MessagesPrefix + id + "/" + name + ext }

// OutputPrefix is the folder of a message's outputs.
func OutputPrefix(id string) string { return MessagesPrefix + id + "/" }

// NewID returns a new message id: 26 lower-case Crockford base32 characters, a millisecond timestamp
// followed by 80 random bits, so ids sort by creation time and can be listed newest first.
func NewID() string { return newID(time.Now()) }

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

func newID(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	// 128 bits as 26 base32 digits, most significant first (the top digit holds 3 bits).
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

var idPattern = regexp.MustCompile(`^[0-7][0-9abcdefghjkmnpqrstvwxyz]{25}$`)

// ValidID reports whether s has the shape of a message id; anything else never reaches a key.
func ValidID(s string) bool { return idPattern.MatchString(s) }

var campaignPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// ValidCampaign reports whether s can name a campaign: lower-case letters, digits and inner dashes, at
// most 64 characters. Such a name is safe as a file name (configs/campaigns/{name}.yaml); whether the
// campaign exists is the worker's to say.
func ValidCampaign(s string) bool { return campaignPattern.MatchString(s) }

// IDFromUploadID returns the message id of a tus upload id, which the S3 store writes as
// "<message id>+<multipart upload id>".
func IDFromUploadID(uploadID string) string {
	id, _, _ := strings.Cut(uploadID, "+")
	return id
}
