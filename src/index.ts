// The public API.
export { dense, pickDenseVariant, type DenseOptions, type DenseResult } from "./dense";
export { sparse, pickSparseVariant } from "./sparse";
export { selectBlocks, type SelectBlocksOptions } from "./select";
export { DeviceBuffer, deviceCount, deviceInfo, gpuUnavailableReason, synchronize, type DeviceInfo } from "./device";
export { DeviceTensor, type TensorDtype } from "./tensor";
export { SparsePattern, type PatternShape } from "./pattern";
export { DevicePattern } from "./device-pattern";
export { SparseDRuntime, type RuntimeStats } from "./runtime";
export { phaseOf, switchStep, validateSchedule, type ScheduleConfig, type Phase } from "./schedule";
export type { AttentionBackend } from "./backend";
export { CpuBackend, hostTensor, type HostTensor } from "./cpu-backend";
export { CudaBackend, createCudaBackend } from "./cuda-backend";
export { selectPattern, blockImportance } from "./selection";
export { SparsedError, type SparsedErrorCode } from "./errors";
export { referenceAttention, relativeError } from "./reference";
export { sparseReferenceAttention } from "./sparse-reference";
export type { Dtype } from "./dtype";
