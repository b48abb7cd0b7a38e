// Package reframe keeps the artist in frame when a picture is cut to a social aspect (9:16, 1:1, 4:5,
// 16:9). From ONE subject track of a video (faces on sampled frames, saliency when there is no face,
// shot cuts: package subject builds it) it plans, per aspect, a camera path (fill) or the whole
// picture over a blurred, darkened copy of itself (fit), with the reason. Photos and stills use the
// same rules (PhotoCrops).
//
// It owns the track, the camera paths and the crop plans, as plain data: it runs nothing and builds
// no command (package plan carries its plans, and must stay pure). The analysis that makes a track
// runs ffmpeg and the face detector in package subject; the crop and fit filters that render a plan
// are built by package ffcmd (AppendCrop, WriteCamera). It must not decide which outputs a message
// gets, run the main encode or know about S3 and the queue.
//
// # How the video pass uses it
//
// A worker keeps one face.Pool (detectors cost ~180 ms each to create) and one subject.Analyzer:
//
//	pool := face.NewPool(pipeline.DefaultConcurrency())      // at worker start; pool.Close() at exit
//	an := subject.NewAnalyzer(reframe.DefaultConfig(), pool)
//
// Per job, after the probe and before the main pass (the camera path needs the whole clip, so the
// analysis cannot ride along in the pass it steers):
//
//	tr, err := an.Analyze(ctx, subject.Input{FFmpeg: cfg.FFmpeg, Path: in, VideoStream: v.Stream,
//		Display: geom.Size{W: v.DisplayWidth, H: v.DisplayHeight}, Duration: m.Duration, WorkDir: job})
//	// on error: log it and go on with tr = nil (centre crops); a crop is never worth failing a message
//	plans := reframe.PlanCrops(tr, reframe.Frame{Work: vp.Work, Source: display}, reframe.SocialAspects(), cfg)
//
// The plans go into the job's plan (they are plain data with a Why); before the pass ffcmd writes each
// moving camera's sendcmd file, and in the filter graph each crop output's split branch goes through
// ffcmd.AppendCrop before its encoder. The output name is plan.Name ("crop/9x16") and the manifest's
// mode is plan.Mode. Fill outputs are never upscaled past the pixels of the working picture: package
// plan sizes Work so that each crop can reach its published size when the source has the pixels
// (plan/crops.go). The analysis is a second decode at 640 px: it measured 8–17 % of the foundation's
// pass and 5–6 % of a pass that renders the four crops (bench/crops_test.go, 20 s 1080p).
//
// # How the photo step uses it
//
//	tr, err := an.PhotoTrack(ctx, img)                  // img: decoded, EXIF orientation applied
//	plans := reframe.PhotoCrops(tr, geom.Size{W: b.Dx(), H: b.Dy()}, reframe.SocialAspects(), cfg)
//
// and package photo renders them with its own renderer (fill: the region resized to p.Out; fit: the
// photo at p.Inner over a blurred, darkened copy of itself), as pipeline/photostep.go wires it.
//
// A poster or thumbnail taken at t seconds from a video could be framed with PhotoCrops(tr.Still(t), ...).
package reframe
