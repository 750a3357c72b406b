// ffmpeg for kedge: finding the binaries, building command lines (fluent-ffmpeg, wrapped), probing inputs,
// listing encoders, and reading failures out of stderr. Spawning and supervision live with the sources.
export { listEncoders, parseEncoderList } from './encoders.js';
export { FfmpegError, type FfmpegErrorCode } from './errors.js';
export { buildFfmpegArgs, parseFrameRate, probe, type FfmpegCommandSpec, type FfmpegInput, type FfmpegOutput, type ProbeOptions, type ProbeResult } from './fluent.js';
export { locateFfmpeg, type BinarySource, type FfmpegLocation, type LocateOptions } from './locate.js';
export { runTool, type ToolResult } from './run-tool.js';
export { classifyToolStderr, LineSplitter, type ToolFailure, type ToolFailureKind } from './stderr.js';
