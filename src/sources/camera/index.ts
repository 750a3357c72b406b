// Camera capture: sources (test, V4L2, thermal Y16, libcamera, RTSP, files) as supervised processes
// writing H.264 Annex B.
export { CameraCapture, type CameraCaptureOptions, type CaptureHandlers } from './capture.js';
export {
  buildFileCommand,
  buildLibcameraCommand,
  buildRtspCommand,
  buildTestCommand,
  buildThermalCommand,
  buildV4l2Command,
  encoderOptions,
  gopFrames,
  rtspTimeoutOptionFromHelp,
  thermalFilters,
  thermalPaletteFromHelp,
  THERMAL_DEFAULTS,
  type CaptureCommand,
  type FileInputInfo,
  type H264Encoder,
  type RtspTimeoutOption,
  type ThermalPalette,
} from './commands.js';
export { hasV4l2HardwareEncoder, probeDevicePath, probeInputFile } from './device-probe.js';
export { CameraError, PERMANENT_CAMERA_ERRORS, type CameraErrorCode } from './errors.js';
export { stderrClassifier, toCameraError } from './failures.js';
export { planCapture, systemProbes, type PlanOptions, type PlanProbes } from './plan.js';
export { checkCaptureSettings, DEFAULT_GOP_SECONDS, describeSource, parseCameraSource, redactUrl, SOURCE_SYNTAX, type CameraSource, type CaptureSettings } from './source-spec.js';
export { RateLimitedStderrLog, silentLogger, type CaptureLogger, type StderrBudget } from './stderr-log.js';
export {
  ProcessSupervisor,
  type ProcessFailure,
  type RestartBackoff,
  type StopStep,
  type StopTimeouts,
  type SupervisedCommand,
  type SupervisorEvent,
  type SupervisorOptions,
  type SupervisorState,
  type SupervisorStats,
} from './supervisor.js';
export { listV4l2Formats, parseV4l2Formats, pickV4l2InputFormat, type V4l2Format } from './v4l2-formats.js';
