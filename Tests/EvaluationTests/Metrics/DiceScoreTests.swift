import Evaluation
import Testing
import Torch

/// Dice per class (background left out) and its means, on label maps whose answers are known.
@Suite struct DiceScoreTests {
    func labels(_ rows: [[Int64]]) -> Tensor {
        Tensor(rows.flatMap { $0 }, shape: [rows.count, rows[0].count])
    }

    @Test func identicalMapsScoreOnePerClass() {
        let map = labels([[0, 1, 1], [2, 2, 0], [3, 0, 1]])
        #expect(DiceScore.perClass(predicted: map, reference: map, classes: 4) == [1, 1, 1])
    }

    @Test func disjointClassesScoreZero() {
        let predicted = labels([[1, 1, 0], [0, 0, 0]])
        let reference = labels([[0, 0, 1], [1, 1, 0]])
        #expect(DiceScore.perClass(predicted: predicted, reference: reference, classes: 2) == [0])
    }

    /// Class 1: prediction 3 px, reference 2 px, overlap 1 -> 2·1/(3+2) = 0.4.
    /// Class 2: prediction 1 px, reference 2 px, overlap 1 -> 2·1/(1+2) = 2/3.
    @Test func partialOverlapByHand() {
        let predicted = labels([[1, 1, 1], [2, 0, 0]])
        let reference = labels([[0, 1, 0], [2, 2, 1]])
        let dice = DiceScore.perClass(predicted: predicted, reference: reference, classes: 3)
        #expect(abs(dice[0]! - 0.4) < 1e-12)
        #expect(abs(dice[1]! - 2.0 / 3) < 1e-12)
        #expect(abs(DiceScore.mean(dice)! - (0.4 + 2.0 / 3) / 2) < 1e-12)
    }

    /// A class in neither map has no Dice (nil) and is left out of the mean; one predicted but absent
    /// from the reference scores 0 and counts.
    @Test func classesAbsentFromBothHaveNoDice() {
        let predicted = labels([[1, 1], [3, 0]])
        let reference = labels([[1, 1], [0, 0]])
        let dice = DiceScore.perClass(predicted: predicted, reference: reference, classes: 4)
        #expect(dice == [1, nil, 0])
        #expect(DiceScore.mean(dice) == 0.5)
        let background = labels([[0, 0], [0, 0]])
        #expect(DiceScore.perClass(predicted: background, reference: background, classes: 3) == [nil, nil])
        #expect(DiceScore.mean([nil, nil]) == nil)
    }

    /// Over a set, per-class Dice pools the pixel counts, while the per-image mean averages images.
    @Test func accumulatorPoolsCountsOverTheSet() {
        var dice = DiceAccumulator(classes: 2)
        // Image a: 3 px of class 1 predicted, all right. Image b: 1 px predicted, reference 1 other px.
        let predicted = Tensor([Int64(1), 1, 1, 0, 1, 0, 0, 0], shape: [2, 2, 2])
        let reference = Tensor([Int64(1), 1, 1, 0, 0, 1, 0, 0], shape: [2, 2, 2])
        dice.add(predicted: predicted, reference: reference, names: ["a", "b"])
        #expect(dice.totals[0] == DiceScore.Counts(overlap: 3, predicted: 4, reference: 4))
        #expect(dice.perClass == [0.75])
        #expect(dice.imageMeans.map(\.name) == ["a", "b"])
        #expect(dice.imageMeans.map(\.dice) == [1, 0])
        #expect(dice.meanOfImages == 0.5)
        #expect(dice.mean == 0.75)
    }
}
