// The lint rules moved to server/src/lint/ (they read hardware targets, which analysis/ may not
// import); this re-export keeps old imports working.
export * from '../lint/lint';
