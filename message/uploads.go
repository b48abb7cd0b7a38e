package message

// UploadsPrefix is where unfinished resumable (tus) uploads live in the bucket, each under the id
// of the message it becomes: intake writes there, a revocation deletes what is left.
const UploadsPrefix = "uploads/"
