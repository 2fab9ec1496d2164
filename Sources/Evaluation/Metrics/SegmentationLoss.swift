import Torch

/// Training loss of the segmenter: pixel-wise cross-entropy, plus (weighted) soft Dice over the
/// non-background classes, which keeps small structures from drowning in background pixels.
struct SegmentationLoss {
    var diceWeight: Double

    /// `logits` [B, K, S, S], `labels` [B, S, S] int64.
    func callAsFunction(_ logits: Tensor, _ labels: Tensor) -> Tensor {
        let classes = logits.shape[1]
        let target = Self.oneHot(labels, classes: classes)
        let crossEntropy = -(target * Self.logSoftmax(logits)).sum(dims: [1]).mean()
        guard diceWeight > 0, classes > 1 else { return crossEntropy }
        return crossEntropy + diceWeight * softDiceLoss(logits.softmax(dim: 1), target)
    }

    /// 1 - mean soft Dice of classes 1..K-1, counted over the whole batch.
    private func softDiceLoss(_ probabilities: Tensor, _ target: Tensor) -> Tensor {
        let classes = probabilities.shape[1]
        let foreground = probabilities.narrowed(dim: 1, start: 1, length: classes - 1)
        let truth = target.narrowed(dim: 1, start: 1, length: classes - 1)
        let overlap = (foreground * truth).sum(dims: [0, 2, 3])
        let total = foreground.sum(dims: [0, 2, 3]) + truth.sum(dims: [0, 2, 3])
        let dice = (overlap * 2 + 1) / (total + 1)
        return 1 - dice.mean()
    }

    /// log softmax over dim 1 as x - logsumexp(x); the max is subtracted first (and held constant,
    /// which leaves the value and its gradient unchanged) so exp never overflows.
    static func logSoftmax(_ logits: Tensor) -> Tensor {
        let shift = logits.max(dims: [1], keepDim: true).detached()
        let shifted = logits - shift
        return shifted - shifted.exp().sum(dims: [1], keepDim: true).log()
    }

    /// [B, S, S] labels -> [B, K, S, S] float32 indicators.
    static func oneHot(_ labels: Tensor, classes: Int) -> Tensor {
        labels.oneHot(classes: classes).permuted(0, 3, 1, 2).to(.float32)
    }
}
