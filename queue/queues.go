package queue

import (
	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/message"
)

// The queues. A photo or a voice note must not wait behind a ten-minute video: light work has a queue
// and slots of its own, so it starts as soon as it arrives whatever the heavy slots are doing.
//
// Why two asynq servers in one worker rather than one server with priorities: one asynq.Server has
// one pool of Concurrency slots shared by all its queues, and its priorities (strict or weighted)
// only choose which queue the next free slot takes from. With every slot held by videos, a photo
// waits for the first of them to end, whatever its priority: minutes. A reserved slot is what it
// needs, and asynq's way to reserve one is a second Server on that queue alone with its own
// Concurrency. The cost is a second connection pool and heartbeat to Redis per worker.
const (
	// Heavy is the heavy queue: videos, long audio, and anything of unknown kind. It keeps the
	// name of the one queue quinte had, so tasks queued before an upgrade still run.
	Heavy = "media"
	// Light is the light queue: photos and short audio (voice notes).
	Light = "media-light"
)

// Names lists every queue a worker serves, for the inspector's walks and the figures.
var Names = []string{Light, Heavy}

// LightAudioMaxBytes is the largest audio original that goes to the light queue. An audio message
// becomes an audiogram video of its length (renditions, crops, HLS), which costs about as much per
// second as a video: measured on the shared two-core test machine (load ~30), a 10 s Opus voice note
// took 45 s from upload to ready and a 60 s one 3 min 57 s, so about 4 s of wall time per second of
// audio after 7 s of fixed work. Short audio is light; a podcast would hold the light slot as long as
// a video holds a heavy one, so it is heavy. The duration is not known before the probe and the size
// stands for it: 1 MiB is about a minute of a phone's 128 kb/s AAC voice memo, two of 64 kb/s, twelve
// seconds of 16-bit mono WAV.
const LightAudioMaxBytes = 1 << 20

// For is the queue of the message meta describes: photos and short audio are light; videos, longer
// audio, and a message whose kind is not known are heavy.
func For(meta message.Meta) string {
	switch {
	case meta.Kind == message.KindImage:
		return Light
	case meta.Kind == message.KindAudio && meta.Size > 0 && meta.Size <= LightAudioMaxBytes:
		return Light
	}
	return Heavy
}

// find is message id's task in whichever queue holds it; nil when none does.
func (q *Client) find(id string) (*asynq.TaskInfo, error) {
	for _, name := range Names {
		info, err := q.inspect.GetTaskInfo(name, id)
		if taskGone(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return info, nil
	}
	return nil, nil
}
