export { OnnxFrameClassifier, OnnxModelError, rgbToNchw, type ClassifierSpec } from './classifier.js';
