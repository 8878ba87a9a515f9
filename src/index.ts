// The public API.
export { dense, pickDenseVariant, type DenseOptions, type DenseResult } from "./dense";
export { DeviceBuffer, deviceCount, deviceInfo, gpuUnavailableReason, synchronize, type DeviceInfo } from "./device";
export { DeviceTensor, type TensorDtype } from "./tensor";
export { SparsedError, type SparsedErrorCode } from "./errors";
export { referenceAttention, relativeError } from "./reference";
export type { Dtype } from "./dtype";
