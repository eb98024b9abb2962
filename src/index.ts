/**
 * facelab's public API, the package's only entry (`package.json` `exports` has no other):
 * labelled face photos in, a trained, inspected, portable (ONNX) face classifier out. Every
 * export is named here on purpose (no `export *`), grouped in pipeline order, so the surface is
 * reviewed when it changes. What is here: each step of the pipeline as one function with its
 * options and result types, the files it writes and reads back, the figures, and the errors.
 * What is not: the machinery behind them (ONNX graph building and Runtime sessions, atomic
 * writes, cache and run-folder layout, the grid's run store, the pipeline's step runner,
 * the demo server's routes); those may change in any release.
 *
 * @example
 * import { prepareDataset, loadPrepared, featuresFromImages, trainClassifier, writeRunOutputs } from 'facelab';
 * await prepareDataset({ list: 'faces_subset.txt', cacheDir: '.facelab-cache', outDir: 'data/six' });
 * const data = featuresFromImages(await loadPrepared('data/six', 32));
 * const result = await trainClassifier(data, { epochs: 200 });
 * await writeRunOutputs({ dir: 'runs/six', result, data, input: { kind: 'image', side: 32 } });
 */

// ─── Errors, progress, randomness ───────────────────────────────────────────────────────────

export {
  ArgumentError,
  DownloadError,
  FacelabError,
  FileFormatError,
  ImageError,
  InternalError,
  InvalidOptionError,
  ListFormatError,
  StoppedError,
  UserError,
} from './errors.js';
export type { OnProgress, ProgressEvent } from './progress.js';
export type { Rng, Shuffleable } from './random.js';
export { createRng, deriveSeed, shuffleInPlace } from './random.js';
export { FACELAB_VERSION } from './version.js';

// ─── Data: list, download, crop, split, cache ───────────────────────────────────────────────

export type { CropFailureReason, CropOptions, FaceCrops } from './data/crop.js';
export { cropFace, DEFAULT_MAX_PIXELS, DEFAULT_SIDES } from './data/crop.js';
export type { PreparedDataset, PreparedSplit } from './data/dataset.js';
export { loadPrepared } from './data/dataset.js';
export type { DownloadOptions, DownloadSummary } from './data/download.js';
export { downloadPhotos } from './data/download.js';
export type { FaceBox, FaceLine, FaceList, ParseListOptions } from './data/face-list.js';
export { parseFaceList, readFaceList } from './data/face-list.js';
export type { LabelledPhoto, LeftOutReason, LeftOutRecord } from './data/labelled-photo.js';
export type { ChannelStats, NormalizeOptions } from './data/normalize.js';
export { channelStats, normalizeImages } from './data/normalize.js';
export type { NpyArray, NpyData } from './data/npy.js';
export { decodeNpy, encodeNpy } from './data/npy.js';
export type { NpzArrays, NpzWriteOptions } from './data/npz.js';
export { decodeNpz, encodeNpz, readNpz, writeNpz } from './data/npz.js';
export type { DecodePhotoOptions, RgbImage } from './data/photo-decode.js';
export { decodePhoto } from './data/photo-decode.js';
export type { PhotoSourceResult } from './data/photo-folder.js';
export { photosFromFolder, photosFromLabels } from './data/photo-folder.js';
export type { AlignMode, PrepareOptions, PrepareResult } from './data/prepare.js';
export {
  ALIGN_MODES,
  ALIGNED_BACKBONE_SIDE,
  DEFAULT_CACHE_DIR,
  MAX_SIDE,
  prepareDataset,
} from './data/prepare.js';
export type { ResizeOptions } from './data/resample.js';
export { resizeBilinear } from './data/resample.js';
export type {
  DatasetSplit,
  SplitAssignment,
  SplitEntry,
  SplitItem,
  SplitName,
  SplitOptions,
  SplitSizes,
} from './data/split.js';
export { DEFAULT_SPLIT_SIZES, partSizes, SPLIT_NAMES, splitByActor } from './data/split.js';
export type {
  CropFailureRecord,
  SplitManifest,
  SplitManifestPhoto,
  SplitSource,
} from './data/split-manifest.js';
export { readSplitManifest } from './data/split-manifest.js';

// ─── Faces: detection (SSD-MobileNetV1, tiny), landmarks, alignment, which face ─────────────

export type { AlignOptions } from './align/face-align.js';
export { alignedCrop, alignmentTransform } from './align/face-align.js';
export type { FaceBoxF, LandmarkDetectorOptions, Point } from './align/landmarks.js';
export { LandmarkDetector } from './align/landmarks.js';
export type { LocatedFaces, LocatedPhoto, LocateFacesOptions } from './data/locate-faces.js';
export { AMBIGUOUS_SIDE_RATIO, chooseFace, locateFaces } from './data/locate-faces.js';
export { listBoxFromDetection } from './detect/box-convention.js';
export type {
  DetectedFace,
  DetectOptions,
  DetectorKind,
  FaceDetectorOptions,
} from './detect/face-detector.js';
export { DETECTOR_KINDS, detectFaces, FaceDetector } from './detect/face-detector.js';

// ─── Engine: ONNX graphs and ONNX Runtime sessions ──────────────────────────────────────────

export type {
  ClassifierInput,
  ClassifierMetadata,
  ClassifierModelOptions,
} from './engine/classifier-model.js';
export { buildClassifierModel, METADATA_KEY } from './engine/classifier-model.js';
export type { MlpParams } from './engine/mlp-layers.js';
export {
  resolveTrainingEngine,
  TRAINING_ENGINES,
  type TrainingEngineChoice,
  type TrainingEngineKind,
} from './engine/mlp-training-engine.js';
export { readModelMetadata } from './engine/model-metadata.js';

// ─── Train: classifier, grid search, outputs, prediction ────────────────────────────────────

export type { ClassifierFile, ClassifierFileInput } from './train/classifier-file.js';
export { loadClassifierFile, MODEL_FILE } from './train/classifier-file.js';
export type {
  Checkpoint,
  Curves,
  RunOptions,
  RunResult,
  TrainerSetup,
} from './train/classifier-trainer.js';
export { ClassifierTrainer, trainClassifier } from './train/classifier-trainer.js';
export type { FeatureSet, LabelledRows, Part } from './train/features.js';
export { featuresFromImages, PARTS } from './train/features.js';
export type { RunGridOptions, RunGridResult } from './train/grid-outputs.js';
export { GRID_FILES, runGrid } from './train/grid-outputs.js';
export type { GridOptions, GridPoint, GridResult, GridSelection } from './train/grid-search.js';
export { gridSearch, REFERENCE_GRID } from './train/grid-search.js';
export type { GridCheckpoint } from './train/grid-task.js';
export type { HeadBackbone } from './train/head-backbone.js';
export type { Accuracy } from './train/metrics.js';
export { accuracyOf, confusionMatrix } from './train/metrics.js';
export type { OpenSetCalibration, OpenSetOptions, OpenSetVerdict } from './train/open-set.js';
export { calibrateOpenSet, OPEN_SET_FILE, openSetVerdict } from './train/open-set.js';
export type {
  ActorProbability,
  PhotoPrediction,
  PhotoWithBox,
  PredictOptions,
  PredictorOptions,
  PredictPhotosOptions,
  PredictResult,
} from './train/predict.js';
export { Predictor, predictPhotos, topActors } from './train/predict.js';
export type { FacePrediction, PhotoFacesPrediction, PredictFacesOptions } from './train/predict-faces.js';
export { predictFaces } from './train/predict-faces.js';
export type { RunMetrics, RunOutputOptions } from './train/run-outputs.js';
export { RUN_FILES, writeRunOutputs } from './train/run-outputs.js';

// ─── Transfer: backbones, features, heads ───────────────────────────────────────────────────

export type { AlexNetOptions } from './transfer/alexnet.js';
export { ALEXNET_SIDE, buildAlexNet } from './transfer/alexnet.js';
export type { BackboneSpec } from './transfer/backbone.js';
export type { BackboneChoice, BackboneKind, ResolvedBackbone } from './transfer/backbones.js';
export { BACKBONE_KINDS } from './transfer/backbones.js';
export type { ComputedFeatures, ComputeFeaturesOptions } from './transfer/compute-features.js';
export { computeFeatures } from './transfer/compute-features.js';
export type { FaceNetOptions } from './transfer/face-net.js';
export { buildFaceNet, FACE_LAYERS, FACE_OUTPUT, FACE_SIDE } from './transfer/face-net.js';
export type { BackboneFeatures, FeatureSplit, StoredFeatureSet } from './transfer/feature-set.js';
export { readFeatureSet } from './transfer/feature-set.js';
export { ALEXNET_LAYERS } from './transfer/layer-names.js';
export type { BackboneInput, Preprocess } from './transfer/preprocess.js';
export { PREPROCESS_MODES } from './transfer/preprocess.js';
export type { ComparisonRow, HeadOptions, TransferOptions, TransferResult } from './transfer/transfer.js';
export { runTransfer } from './transfer/transfer.js';

// ─── Viz: figures (SVG; svgToPng rasterises) ────────────────────────────────────────────────

export type { ActorAccuracy, PerActorAccuracyOptions } from './viz/bar-chart.js';
export { perActorAccuracySvg } from './viz/bar-chart.js';
export type { ColorBarOptions, Rgb } from './viz/colormap.js';
export { colorBarSvg, divergingColor, sequentialColor } from './viz/colormap.js';
export type { ConfusionMatrixOptions } from './viz/confusion-matrix.js';
export { confusionMatrixSvg } from './viz/confusion-matrix.js';
export type { CropSampleOptions, Misclassified, MisclassifiedOptions } from './viz/galleries.js';
export { cropSampleSvg, misclassifiedFacesSvg } from './viz/galleries.js';
export type { GridHeatmapOptions, HeatmapPoint } from './viz/grid-heatmap.js';
export { gridHeatmapSvg } from './viz/grid-heatmap.js';
export type { HiddenUnitsInput } from './viz/hidden-units.js';
export { hiddenUnitsSvg } from './viz/hidden-units.js';
export type { GalleryImage, ImageGridOptions, ImageRowsOptions } from './viz/image-grid.js';
export { imageGridSvg, imageRowsSvg } from './viz/image-grid.js';
export type { LearningCurveOptions, LearningCurves } from './viz/learning-curve.js';
export { learningCurveSvg } from './viz/learning-curve.js';
export type { RasterizeOptions } from './viz/rasterize.js';
export { svgToPng } from './viz/rasterize.js';
export type { RankedUnit, RankOptions } from './viz/unit-ranking.js';
export { rankHiddenUnits } from './viz/unit-ranking.js';

// ─── Demo: the synthetic FaceScrub-like dataset and its loopback server ─────────────────────

export type { PhotoFault, PhotoServer, PhotoServerOptions } from './demo/photo-server.js';
export { startPhotoServer } from './demo/photo-server.js';
export type { DemoDataset, DemoDatasetOptions } from './demo/synthetic-dataset.js';
export {
  DEFAULT_PHOTOS_PER_PERSON,
  DEMO_DATASET_VERSION,
  generateDemoDataset,
} from './demo/synthetic-dataset.js';
export type { PersonTraits, SyntheticPeopleOptions } from './demo/synthetic-people.js';
export { SYNTHETIC_NAMES, syntheticPeople } from './demo/synthetic-people.js';

// ─── Hidden units of an actor, HTML report ──────────────────────────────────────────────────

export type { ActorUnitsOptions, ActorUnitsResult, UnitRank } from './viz/actor-units.js';
export { writeActorUnits } from './viz/actor-units.js';
export type { ReportOptions, ReportResult } from './viz/report.js';
export { writeReport } from './viz/report.js';

// ─── Pipeline: facelab run / facelab demo ───────────────────────────────────────────────────

export type { DemoOptions, DemoResult } from './pipeline/demo-run.js';
export { DEFAULT_DEMO_DIR, DEMO_GRID, runDemo } from './pipeline/demo-run.js';
export type { RunAccuracies } from './pipeline/pipeline-steps.js';
export type { PipelineGrid, PipelineOptions, PipelineResult } from './pipeline/run-pipeline.js';
export { runPipeline } from './pipeline/run-pipeline.js';
export type { StepName, StepOutcome } from './pipeline/run-state.js';
export { STEP_NAMES } from './pipeline/run-state.js';
export type { StepEvent } from './pipeline/step-runner.js';
export type { TransferHead } from './pipeline/transfer-step.js';
export { RUN_BACKBONES } from './pipeline/transfer-step.js';

// A new room gets a section of its own here, in pipeline order:
// its entry functions with their options and result types, not its graph builders or runtimes.
// Keep the blank line after each section's header: Biome sorts exports only within the blocks
// such a comment separates. test/index.test.ts checks every value exported here.
