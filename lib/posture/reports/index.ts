export * from './framework-controls';
export * from './coverage-matrix';
export * from './finding-zones';
export * from './report-json';
export * from './report-markdown';
export * from './coverage-markdown';
export * from './report-sarif';
export * from './rules-doc';
export { renderPostureReports, postureReportDir } from './posture-reports';
