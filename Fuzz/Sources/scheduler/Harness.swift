import Diffusion
import FuzzSupport

/// SchedulerConfig.load as a run folder's scheduler/ is read, then the checks and the scheduler
/// a sampling run builds from it (its tables are sized by num_train_timesteps).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = FuzzInput.file(data, size, named: SchedulerConfig.fileName)
    guard let config = try? SchedulerConfig.load(fromDirectory: FuzzInput.folderPath) else { return 0 }
    _ = refusedOrRead { try config.validated().makeScheduler() }
    return 0
}
