// Package storage is quinte's S3 client: the bucket that holds originals, outputs, manifests and message
// state. It speaks path-style S3 to any compatible endpoint (MinIO, versitygw, AWS) and translates vendor
// errors at this boundary (a missing key becomes ErrNotFound). It knows nothing of what the keys mean.
package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Config says where the bucket is. With an empty Endpoint, `quinte run` starts an embedded S3 server
// listening on EmbeddedAddr and fills Endpoint and the keys in.
type Config struct {
	Endpoint       string `yaml:"endpoint"`        // http(s)://host:port of the S3 API
	PublicEndpoint string `yaml:"public_endpoint"` // host in presigned links, when users reach S3 by another name
	Bucket         string `yaml:"bucket"`
	Region         string `yaml:"region"`
	AccessKey      string `yaml:"access_key"`
	SecretKey      string `yaml:"secret_key"`
	EmbeddedAddr   string `yaml:"embedded_addr"`
}

// Validate checks the settings that can be checked without a network.
func (c Config) Validate() error {
	var errs []error
	if c.Bucket == "" || len(c.Bucket) < 3 || strings.ContainsAny(c.Bucket, "/ _") {
		errs = append(errs, fmt.Errorf("QUINTE_S3_BUCKET %q is not a valid bucket name (3 or more lower-case letters, digits, dots or dashes)", c.Bucket))
	}
	for name, ep := range map[string]string{"QUINTE_S3_ENDPOINT": c.Endpoint, "QUINTE_S3_PUBLIC_ENDPOINT": c.PublicEndpoint} {
		if ep == "" {
			continue
		}
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q is not an http(s)://host:port URL", name, ep))
		}
	}
	if c.Endpoint != "" && (c.AccessKey == "" || c.SecretKey == "") {
		errs = append(errs, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required with QUINTE_S3_ENDPOINT"))
	}
	return errors.Join(errs...)
}

// ErrNotFound is returned when a key or the bucket does not exist. It wraps fs.ErrNotExist, so packages
// that only see the narrow interfaces they declare can test for it without importing this one.
var ErrNotFound = fmt.Errorf("not found: %w", fs.ErrNotExist)

// Store is one bucket.
type Store struct {
	http    *http.Client
	client  *s3.Client
	presign *s3.PresignClient
	up      *manager.Uploader
	bucket  string
}

// New connects to the bucket described by c. It does not touch the network.
func New(c Config, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if c.Endpoint == "" {
		return nil, errors.New("storage: no S3 endpoint")
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}}
	client := newClient(c, c.Endpoint, hc, o)
	pub := client
	if c.PublicEndpoint != "" && c.PublicEndpoint != c.Endpoint {
		pub = newClient(c, c.PublicEndpoint, hc, o)
	}
	return &Store{
		http:    hc,
		client:  client,
		presign: s3.NewPresignClient(pub),
		// Streaming uploads of unknown length hold PartSize*Concurrency bytes at most.
		up: manager.NewUploader(client, func(u *manager.Uploader) {
			u.PartSize = 8 << 20
			u.Concurrency = 2
		}),
		bucket: c.Bucket,
	}, nil
}

func newClient(c Config, endpoint string, hc *http.Client, o options) *s3.Client {
	var api []func(*middleware.Stack) error
	if o.errorCount != nil {
		api = append(api, errorCounter(o.errorCount))
	}
	return s3.New(s3.Options{
		APIOptions:   api,
		Region:       c.Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		// Plain SigV4 payload hashing works with every S3-compatible server; trailing CRC checksums do not.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 4
			o.MaxBackoff = 5 * time.Second
		}),
		HTTPClient: hc,
	})
}

// Close drops idle connections (a server shutting down waits for them).
func (s *Store) Close() error {
	s.http.CloseIdleConnections()
	return nil
}

// Client is the underlying S3 client, for libraries that take one (tusd's s3store).
func (s *Store) Client() *s3.Client { return s.client }

// Bucket is the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Ping checks that the bucket is reachable.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket})
	return translate(err)
}

// ErrNoBucket is returned by CheckBucket when the bucket does not exist.
var ErrNoBucket = errors.New("no such bucket")

// CheckBucket checks that the bucket exists and answers, without creating it: a process that does
// not own the deployment's setup must not make a bucket of a mistyped name.
func (s *Store) CheckBucket(ctx context.Context) error {
	err := s.Ping(ctx)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("bucket %s: %w", s.bucket, ErrNoBucket)
	}
	return err
}

// EnsureBucket creates the bucket if it does not exist.
func (s *Store) EnsureBucket(ctx context.Context) error {
	err := s.Ping(ctx)
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	_, err = s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if errors.As(err, &owned) {
		return nil
	}
	return translate(err)
}

// Put stores body at key. A negative size streams a body of unknown length in parts, holding a few
// megabytes at a time; the upload is aborted if body returns an error.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, contentType string) error {
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: body, ContentType: nonEmpty(contentType)}
	if size >= 0 {
		in.ContentLength = aws.Int64(size)
		_, err := s.client.PutObject(ctx, in)
		return translate(err)
	}
	_, err := s.up.Upload(ctx, in)
	return translate(err)
}

// PutFile stores the file at path under key.
func (s *Store) PutFile(ctx context.Context, key, path, contentType string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), s.Put(ctx, key, f, fi.Size(), contentType)
}

// PutJSON stores v as JSON under key.
func (s *Store) PutJSON(ctx context.Context, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return s.Put(ctx, key, bytes.NewReader(b), int64(len(b)), "application/json")
}

// GetJSON reads the JSON at key into v.
func (s *Store) GetJSON(ctx context.Context, key string, v any) error {
	rc, err := s.Open(ctx, key, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := json.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// Open reads key; with n > 0 only its first n bytes.
func (s *Store) Open(ctx context.Context, key string, n int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if n > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=0-%d", n-1))
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, translate(err)
	}
	return out.Body, nil
}

// ObjectInfo is what a HEAD tells of an object.
type ObjectInfo struct {
	Size         int64
	ContentType  string
	ETag         string
	LastModified time.Time
}

// Stat returns key's size, type, ETag and time, or ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return ObjectInfo{}, translate(err)
	}
	return ObjectInfo{Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType),
		ETag: aws.ToString(out.ETag), LastModified: aws.ToTime(out.LastModified)}, nil
}

// OpenFrom reads key from byte off to its end.
func (s *Store) OpenFrom(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, translate(err)
	}
	return out.Body, nil
}

// Tail reads the last n bytes of key (all of it when it is shorter).
func (s *Store) Tail(ctx context.Context, key string, n int64) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key, Range: aws.String(fmt.Sprintf("bytes=-%d", n))})
	if err != nil {
		return nil, translate(err)
	}
	defer out.Body.Close()
	return io.ReadAll(io.LimitReader(out.Body, n))
}

// Download writes key to the file at path and returns its size.
func (s *Store) Download(ctx context.Context, key, path string) (int64, error) {
	rc, err := s.Open(ctx, key, -1)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("download %s: %w", key, err)
	}
	return n, nil
}

// Size returns the size of key, or ErrNotFound.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return 0, translate(err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Modified returns when key was last written, or ErrNotFound.
func (s *Store) Modified(ctx context.Context, key string) (time.Time, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return time.Time{}, translate(err)
	}
	return aws.ToTime(out.LastModified), nil
}

// Exists reports whether key exists.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.Size(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Copy copies src to dst inside the bucket (up to 5 GB, the limit of a single S3 copy).
func (s *Store) Copy(ctx context.Context, src, dst, contentType string) error {
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            &s.bucket,
		Key:               &dst,
		CopySource:        aws.String(s.bucket + "/" + url.PathEscape(src)),
		ContentType:       nonEmpty(contentType),
		MetadataDirective: types.MetadataDirectiveReplace,
	})
	return translate(err)
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err = translate(err); errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// DeletePrefix removes every key under prefix.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return translate(err)
		}
		for _, o := range page.Contents {
			if err := s.Delete(ctx, aws.ToString(o.Key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// List returns every key under prefix, in lexical order.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, translate(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Folders returns the names of the "folders" directly under prefix (which ends in "/"), in lexical order.
func (s *Store) Folders(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket, Prefix: &prefix, Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, translate(err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name != "" {
				names = append(names, name)
			}
		}
	}
	return names, nil
}

// PresignGet returns a URL that downloads key for ttl, as an attachment called filename.
func (s *Store) PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if filename != "" {
		in.ResponseContentDisposition = aws.String(mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	}
	req, err := s.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", err
	}
	return req.URL, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// translate turns the S3 errors callers act on into this package's errors.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var nsb *types.NoSuchBucket
	if errors.As(err, &nsk) || errors.As(err, &nf) || errors.As(err, &nsb) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		}
	}
	return err
}
