import { H264Error } from './errors.js';
import { BitReader, unescapeRbsp } from './rbsp.js';

/** What kedge needs from a sequence parameter set (H.264 clause 7.3.2.1.1 and Annex E). */
export interface SpsInfo {
  readonly profileIdc: number;
  /** constraint_set0..5 flags and the two reserved bits: the byte after profile_idc, as avcC stores it. */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly spsId: number;
  /** 0 = monochrome, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4. */
  readonly chromaFormatIdc: number;
  readonly separateColourPlane: boolean;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly frameMbsOnly: boolean;
  /** Displayed size: macroblocks times 16 minus the frame cropping. */
  readonly width: number;
  readonly height: number;
  readonly crop: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** VUI timing, when the encoder wrote it. */
  readonly timing?: { readonly numUnitsInTick: number; readonly timeScale: number; readonly fixedFrameRate: boolean };
  /** Frames per second from the VUI timing (time_scale / (2 * num_units_in_tick)), when present. */
  readonly frameRate?: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

const CODE = 'H264_INVALID_SPS';

/** Parses an SPS NAL unit (header byte included, emulation prevention still in place). */
export function parseSps(nal: Uint8Array): SpsInfo {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) {
    throw new H264Error(CODE, `not an SPS NAL unit (type ${(nal[0] ?? 0) & 0x1f}, ${nal.length} bytes); pass the NAL whose type is 7`);
  }
  const r = new BitReader(unescapeRbsp(nal), CODE, 1);
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUE();
  if (spsId > 31) throw new H264Error(CODE, `seq_parameter_set_id ${spsId} is above 31; the SPS is corrupt`);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUE();
    if (chromaFormatIdc > 3) throw new H264Error(CODE, `chroma_format_idc ${chromaFormatIdc} is above 3; the SPS is corrupt`);
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = r.readUE() + 8;
    bitDepthChroma = r.readUE() + 8;
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      // seq_scaling_matrix_present_flag: the lists are read only to get past them.
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  r.readUE(); // log2_max_frame_num_minus4
  const picOrderCntType = r.readUE();
  if (picOrderCntType === 0) {
    r.readUE(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUE();
    if (cycle > 255) throw new H264Error(CODE, `num_ref_frames_in_pic_order_cnt_cycle ${cycle} is above 255; the SPS is corrupt`);
    for (let i = 0; i < cycle; i++) r.readSE();
  } else if (picOrderCntType !== 2) {
    throw new H264Error(CODE, `pic_order_cnt_type ${picOrderCntType} is not 0, 1 or 2; the SPS is corrupt`);
  }
  r.readUE(); // max_num_ref_frames
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.readUE() + 1;
  const heightInMapUnits = r.readUE() + 1;
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readFlag()) {
    crop.left = r.readUE();
    crop.right = r.readUE();
    crop.top = r.readUE();
    crop.bottom = r.readUE();
  }

  // Crop units: clause 7.4.2.1.1, equations 7-19 to 7-22.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthInMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = (frameMbsOnly ? 1 : 2) * heightInMapUnits * 16 - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) {
    throw new H264Error(CODE, `frame cropping leaves ${width}x${height} pixels; the SPS is corrupt`);
  }

  const timing = r.readFlag() ? readVuiTiming(r) : undefined;
  const frameRate = timing && timing.numUnitsInTick > 0 ? timing.timeScale / (2 * timing.numUnitsInTick) : undefined;
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    frameMbsOnly,
    width,
    height,
    crop,
    ...(timing ? { timing } : {}),
    ...(frameRate !== undefined ? { frameRate } : {}),
  };
}

/** scaling_list() of clause 7.3.2.1.1.1: only the delta_scale codes are in the bitstream. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.readSE() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** vui_parameters() up to and including timing_info (Annex E.1.1); the rest is not needed. */
function readVuiTiming(r: BitReader): SpsInfo['timing'] {
  if (r.readFlag()) {
    // aspect_ratio_info_present_flag
    if (r.readBits(8) === 255) r.skipBits(32); // Extended_SAR: sar_width, sar_height
  }
  if (r.readFlag()) r.skipBits(1); // overscan_info_present_flag -> overscan_appropriate_flag
  if (r.readFlag()) {
    // video_signal_type_present_flag: video_format(3), video_full_range_flag(1)
    r.skipBits(4);
    if (r.readFlag()) r.skipBits(24); // colour_description_present_flag
  }
  if (r.readFlag()) {
    // chroma_loc_info_present_flag
    r.readUE();
    r.readUE();
  }
  if (!r.readFlag()) return undefined; // timing_info_present_flag
  const numUnitsInTick = r.readBits(32);
  const timeScale = r.readBits(32);
  const fixedFrameRate = r.readFlag();
  return { numUnitsInTick, timeScale, fixedFrameRate };
}

/** pic_parameter_set_id and the SPS it refers to, the first two codes of a PPS. */
export function parsePpsIds(nal: Uint8Array): { ppsId: number; spsId: number } {
  const r = new BitReader(unescapeRbsp(nal), 'H264_INVALID_PPS', 1);
  return { ppsId: r.readUE(), spsId: r.readUE() };
}
