import { KedgeError } from '../../core/errors.js';

/**
 * Codes: `H264_INVALID_SPS` / `H264_INVALID_PPS` (a parameter set that does not parse),
 * `H264_INVALID_AVCC` (a decoder configuration record that does not parse), `H264_NO_PARAMETER_SETS`
 * (avcC asked for before any SPS/PPS was seen), `H264_NO_FRAME_RATE` (frame-rate timestamps without a
 * frame rate in the options or in the SPS), `H264_NAL_TOO_LARGE` / `H264_ACCESS_UNIT_TOO_LARGE` (input
 * that is not Annex B H.264 and would otherwise be held in memory without end).
 */
export class H264Error extends KedgeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
