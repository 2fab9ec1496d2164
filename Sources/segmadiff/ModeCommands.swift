import ArgumentParser
import Evaluation

/// `segmadiff train|eval|eval-many ...`: the seed's `--mode` as subcommands, with the same flags.

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a model (the seed's --mode train).")

    @OptionGroup var options: RunOptions

    func run() throws { try ModeRunner(options: options.forcing(.train)).run() }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sample grids from the first test batch (the seed's --mode eval); --eval_mask_removal adds the mask-removal figure.",
        discussion: """
            Writes OUTPUT/samples/-001.png, -001_cond_seg_<type>.png (the masks used) and -001_orig.png (with \
            --img_dir). --eval_mask_removal writes OUTPUT/mask_removal.png and .pdf: \(MaskRemovalSchedule.description).
            """)

    @OptionGroup var options: RunOptions

    func run() throws { try ModeRunner(options: options.forcing(.eval)).run() }
}

struct EvalMany: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval_many",
        abstract: "Generate exactly --eval_sample_size images on the test masks (the seed's --mode eval_many; see also `sample`).",
        aliases: ["eval-many"])

    @OptionGroup var options: RunOptions

    func run() throws { try ModeRunner(options: options.forcing(.evalMany)).run() }
}

extension RunOptions {
    /// The flags with the subcommand's mode (a `--mode` given with a subcommand is overridden).
    func forcing(_ mode: Mode) -> RunOptions {
        var options = self
        options.mode = mode
        return options
    }
}
