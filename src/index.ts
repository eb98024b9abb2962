/**
 * facelab's public API: labelled face photos in, a trained, inspected, portable (ONNX) face
 * classifier out. Every export is named here on purpose (no `export *`), grouped in pipeline
 * order, so the surface is reviewed when it changes and internals stay internal.
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
  DownloadError,
  FacelabError,
  ImageError,
  InvalidOptionError,
  ListFormatError,
  UserError,
} from './errors.js';
export type { OnProgress, ProgressEvent } from './progress.js';
export type { Rng, Shuffleable } from './random.js';
export { createRng, deriveSeed, shuffleInPlace } from './random.js';

// ─── Data: list, download, crop, split, cache ───────────────────────────────────────────────

export { writeFileAtomic, writeJsonAtomic } from './data/atomic-file.js';
export type { CropFailureReason, CropOptions, FaceCrops } from './data/crop.js';
export { cropFace, DEFAULT_MAX_PIXELS, DEFAULT_SIDES } from './data/crop.js';
export type { PreparedDataset, PreparedSplit } from './data/dataset.js';
export { loadPrepared } from './data/dataset.js';
export type { DownloadOptions, DownloadSummary } from './data/download.js';
export { downloadPhotos } from './data/download.js';
export type { FaceBox, FaceLine, FaceList, ParseListOptions } from './data/face-list.js';
export { parseFaceList, readFaceList } from './data/face-list.js';
export type { ImageKind } from './data/image-sniff.js';
export { sniffImage } from './data/image-sniff.js';
export type { DownloadManifest, LineStatus, ManifestEntry } from './data/manifest.js';
export { manifestPath, photosDir, readManifest } from './data/manifest.js';
export type { ChannelStats, NormalizeOptions } from './data/normalize.js';
export { channelStats, normalizeImages } from './data/normalize.js';
export type { NpyArray, NpyData } from './data/npy.js';
export { decodeNpy, encodeNpy } from './data/npy.js';
export type { NpzArrays, NpzWriteOptions } from './data/npz.js';
export { decodeNpz, encodeNpz, readNpz, writeNpz } from './data/npz.js';
export type { PhotoSize } from './data/photo-size.js';
export { centredSquare, readPhotoSize } from './data/photo-size.js';
export type { PrepareOptions, PrepareResult } from './data/prepare.js';
export { DEFAULT_CACHE_DIR, MAX_SIDE, prepareDataset } from './data/prepare.js';
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
export type { CropFailureRecord, SplitManifest, SplitManifestPhoto } from './data/split-manifest.js';
export { npzPathFor, readSplitManifest, splitManifestPath } from './data/split-manifest.js';

// ─── Engine: ONNX graphs and ONNX Runtime sessions ──────────────────────────────────────────

export type {
  ClassifierInput,
  ClassifierMetadata,
  ClassifierModelOptions,
} from './engine/classifier-model.js';
export { buildClassifierModel, METADATA_KEY } from './engine/classifier-model.js';
export type { MlpParams } from './engine/mlp-layers.js';
export { readModelMetadata } from './engine/model-metadata.js';
export type { ModelSummary, NodeInfo, TapOptions, TensorInfo } from './engine/model-surgery.js';
export { describeModel, readInitializer, tapModel } from './engine/model-surgery.js';
export type { Dim, ElementType, ModelOptions } from './engine/onnx-builder.js';
export { DEFAULT_OPSET, GraphBuilder } from './engine/onnx-builder.js';
export type { EngineSessionOptions, TensorData } from './engine/session.js';
export { defaultThreads, EngineSession } from './engine/session.js';

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
export type { GridRunContext } from './train/grid-run-store.js';
export { featureSetFingerprint, GridRunStore, paramsSha256 } from './train/grid-run-store.js';
export type { GridOptions, GridPoint, GridResult, GridSelection } from './train/grid-search.js';
export { gridSearch, REFERENCE_GRID } from './train/grid-search.js';
export type { GridCheckpoint } from './train/grid-task.js';
export type { HeadBackbone } from './train/head-backbone.js';
export type { Accuracy } from './train/metrics.js';
export { accuracyOf, confusionMatrix } from './train/metrics.js';
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
export type { RunMetrics, RunOutputOptions } from './train/run-outputs.js';
export { RUN_FILES, writeRunOutputs } from './train/run-outputs.js';

// ─── Transfer: backbones, features, heads ───────────────────────────────────────────────────

export type { AlexNetOptions } from './transfer/alexnet.js';
export { ALEXNET_SIDE, buildAlexNet } from './transfer/alexnet.js';
export type { BackboneOptions, BackboneSpec, ExtractOptions } from './transfer/backbone.js';
export { Backbone } from './transfer/backbone.js';
export type { BackboneChoice, BackboneKind, ResolvedBackbone } from './transfer/backbones.js';
export { BACKBONE_KINDS, resolveBackbone } from './transfer/backbones.js';
export type { ComputedFeatures, ComputeFeaturesOptions } from './transfer/compute-features.js';
export { computeFeatures } from './transfer/compute-features.js';
export { loadCropsAtSide, resizeCrops } from './transfer/crops.js';
export type { FaceNetOptions } from './transfer/face-net.js';
export {
  buildFaceNet,
  FACE_LAYERS,
  FACE_OUTPUT,
  FACE_SIDE,
  faceApiManifestPath,
} from './transfer/face-net.js';
export type {
  FeatureSet as BackboneFeatureSet,
  FeatureSplit,
  StoredFeatureSet,
} from './transfer/feature-set.js';
export { extractFeatureSet, readFeatureSet, writeFeatureSet } from './transfer/feature-set.js';
export { ALEXNET_LAYERS, resolveAlexnetLayer } from './transfer/layer-names.js';
export type { BackboneInput, Preprocess } from './transfer/preprocess.js';
export { PREPROCESS_MODES, preprocessImages } from './transfer/preprocess.js';
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
export type { GridHeatmapOptions, GridPoint as GridHeatmapPoint } from './viz/grid-heatmap.js';
export { gridHeatmapSvg } from './viz/grid-heatmap.js';
export type { HiddenUnitsInput } from './viz/hidden-units.js';
export { hiddenUnitsSvg } from './viz/hidden-units.js';
export type { GalleryImage, ImageGridOptions, ImageRowsOptions } from './viz/image-grid.js';
export { imageGridSvg, imageRowsSvg } from './viz/image-grid.js';
export type { LearningCurveOptions, LearningCurves } from './viz/learning-curve.js';
export { learningCurveSvg } from './viz/learning-curve.js';
export { encodeRgbPng } from './viz/png-encode.js';
export type { RasterizeOptions } from './viz/rasterize.js';
export { svgToPng } from './viz/rasterize.js';
export type { RankedUnit, RankOptions } from './viz/unit-ranking.js';
export { rankHiddenUnits } from './viz/unit-ranking.js';

// ─── Demo: the synthetic FaceScrub-like dataset and its loopback server ─────────────────────

export type { PhotoFault, PhotoRoute, PhotoServer, PhotoServerOptions } from './demo/photo-server.js';
export { readPhotoRoutes, startPhotoServer } from './demo/photo-server.js';
export type { DemoDataset, DemoDatasetOptions } from './demo/synthetic-dataset.js';
export {
  DEFAULT_PHOTOS_PER_PERSON,
  DEMO_DATASET_VERSION,
  generateDemoDataset,
} from './demo/synthetic-dataset.js';
export type { PersonTraits, SyntheticPeopleOptions } from './demo/synthetic-people.js';
export { SYNTHETIC_NAMES, syntheticPeople } from './demo/synthetic-people.js';

// ─── Hidden units of an actor, HTML report ──────────────────────────────────────────────────
// Keep the blank line after each section's header: Biome sorts exports only within the blocks
// such a comment separates. test/index.test.ts checks every value exported here.

export type { ActorsUnitsOptions, ActorUnitsOptions, ActorUnitsResult, UnitRank } from './viz/actor-units.js';
export { writeActorsUnits, writeActorUnits } from './viz/actor-units.js';
export type { ReportOptions, ReportResult } from './viz/report.js';
export { writeReport } from './viz/report.js';
export type { RunFolder } from './viz/run-folder.js';
export { locateRun } from './viz/run-folder.js';

// ─── Pipeline: facelab run / facelab demo ───────────────────────────────────────────────────

export type { DemoOptions, DemoResult } from './pipeline/demo-run.js';
export { DEFAULT_DEMO_DIR, DEMO_GRID, runDemo } from './pipeline/demo-run.js';
export type { StepContext, UnitsDocument } from './pipeline/pipeline-steps.js';
export { PREPARED_SIDES, pipelineSteps, runAccuracies } from './pipeline/pipeline-steps.js';
export type { RunLayout } from './pipeline/run-layout.js';
export { actorSlug, runLayout } from './pipeline/run-layout.js';
export type { PipelineGrid, PipelineOptions, PipelineResult } from './pipeline/run-pipeline.js';
export { runPipeline } from './pipeline/run-pipeline.js';
export type { RunState, StepName, StepOutcome, StepRecord } from './pipeline/run-state.js';
export { readRunState, STEP_NAMES, writeRunState } from './pipeline/run-state.js';
export type { PipelineStep, StepEvent } from './pipeline/step-runner.js';
export { runSteps } from './pipeline/step-runner.js';
