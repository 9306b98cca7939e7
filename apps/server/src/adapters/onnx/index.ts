export { OnnxFrameClassifier, OnnxModelError, rgbToNchw, type ClassifierSpec } from './classifier.js';
export { OnnxPhiDetector, type PhiHeatmap } from './phi-detector.js';
