package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// GetJSONVersion reads the JSON at key into v and returns the object's ETag, the version to hand to
// PutJSONIf for a compare-and-swap.
//
// Some servers (versitygw with sidecar metadata) can answer a read that races a write with the new
// ETag and the old body, which would let a compare-and-swap overwrite a change it never saw. A plain
// PUT's ETag is the MD5 of its body, so a mismatch is such a torn read and the read is repeated. A
// server whose ETags are never MD5s (SSE-KMS) is trusted after a few reads.
func (s *Store) GetJSONVersion(ctx context.Context, key string, v any) (string, error) {
	var body []byte
	var etag string
	for attempt := 0; attempt < 5; attempt++ {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
		if err != nil {
			return "", translate(err)
		}
		body, err = io.ReadAll(io.LimitReader(out.Body, 16<<20))
		out.Body.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", key, err)
		}
		etag = aws.ToString(out.ETag)
		sum := md5.Sum(body)
		if strings.Trim(etag, `"`) == hex.EncodeToString(sum[:]) {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return "", fmt.Errorf("decode %s: %w", key, err)
	}
	return etag, nil
}

// PutJSONIf stores v at key only if the object is still at version (an ETag from GetJSONVersion), or,
// with an empty version, only if no object exists yet. It reports false, with no error, when someone
// else wrote first: the caller reads again and retries. S3 (since 2024), MinIO and versitygw check the
// condition atomically with the write.
func (s *Store) PutJSONIf(ctx context.Context, key string, v any, version string) (bool, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return false, err
	}
	in := &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(b),
		ContentLength: aws.Int64(int64(len(b))), ContentType: aws.String("application/json"),
	}
	if version == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(version)
	}
	_, err = s.client.PutObject(ctx, in)
	if isPreconditionFailed(err) {
		return false, nil
	}
	return err == nil, translate(err)
}

// isPreconditionFailed recognises a conditional write that lost: 412 Precondition Failed, or the 409
// S3 answers when two conditional writes to one key race.
func isPreconditionFailed(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	return false
}
