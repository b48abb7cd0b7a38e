package storage

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ListFrom returns the keys under prefix that sort after startAfter, in lexical order, at most max
// (0: every one). One request per thousand keys: the way to follow a feed of keys named by time.
func (s *Store) ListFrom(ctx context.Context, prefix, startAfter string, max int) ([]string, error) {
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	if max > 0 && max < 1000 {
		in.MaxKeys = aws.Int32(int32(max))
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() && (max <= 0 || len(keys) < max) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, translate(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if max > 0 && len(keys) > max {
		keys = keys[:max]
	}
	return keys, nil
}
