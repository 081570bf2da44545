// Labels the recordings of ./out from their numbers alone (never from the monitor's alerts) and prints one
// summary line per run, then the labels.csv rows.
//
//   node label.mjs            summaries + rows
//   node label.mjs --write    also gzips the recordings into the monitor's fixtures and replaces the tfjs
//                             rows of its labels.csv (other rows are kept)
//
// Pathology: the configuration's intent (`scenario` in run-started), kept only if the numbers show it,
// else "healthy" (and the run is reported as such). Onset rules (the same as the trainer recordings'):
// - bad-initialization counts when the first loss is > 2 away from ln C (huge init), or (zero init) every
//   hidden layer's gradient is exactly 0 at every step and the last 100 steps' mean loss is within 0.02 of ln C;
// - vanishing-gradients counts when the first/last layer gradient-norm ratio over the first 50 steps is <= 1e-3;
// - exploding-gradients counts when the rule below finds an onset;
// - vanishing-gradients, bad-initialization: 0 (the cause is in place before the first step);
// - exploding-gradients: the first step whose gradient norm is >= 5x the first step's, or non-finite;
// - plateau, underfitting: the first step whose 20-step mean loss is within 15 % of the mean of the last
//   150 steps;
// - overfitting: the step of the minimum validation loss;
// - lr-decayed-too-early: the first decay step, kept when the loss was still falling at it and never got far below
//   where the decay left it (see the case below).
// Allowed co-diagnoses: divergence beside exploding gradients; bad-initialization when the first loss is > 2 from
// ln C; vanishing-gradients when every hidden layer's gradient is exactly 0 for >= 20 steps after some was not
// (dead ReLUs), on a run not started far from ln C.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const OUT = process.env.TFJS_RECORDER_OUT || `${fileURLToPath(new URL('.', import.meta.url))}out`;
const f = (v) => (typeof v === 'string' ? Number(v) : v);
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;

const rows = [];
for (const file of readdirSync(OUT).filter((n) => n.endsWith('.jsonl') && !n.includes('control-')).sort()) {
  const events = readFileSync(`${OUT}/${file}`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const started = events.find((e) => e.type === 'run-started');
  const steps = events.filter((e) => e.type === 'step');
  const vals = events.filter((e) => e.type === 'validation');
  const finished = events.find((e) => e.type === 'run-finished');
  const loss = steps.map((s) => f(s.loss));
  const gn = steps.map((s) => f(s.gradientNorm));
  const layers = Object.keys(steps[0].layerGradientNorms);
  const firstLayer = steps.map((s) => f(s.layerGradientNorms[layers[0]]));
  const lastLayer = steps.map((s) => f(s.layerGradientNorms[layers[layers.length - 1]]));
  const expect = started.config.scenario;
  const C = started.config.numClasses;

  const tail = loss.slice(-150);
  const tailMean = mean(tail);
  let levelOnset = -1;
  for (let i = 19; i < loss.length; i++) {
    if (Math.abs(mean(loss.slice(i - 19, i + 1)) - tailMean) <= 0.15 * tailMean) { levelOnset = steps[i].step; break; }
  }
  let explodeOnset = -1;
  for (let i = 0; i < gn.length; i++) {
    if (!Number.isFinite(gn[i]) || gn[i] >= 5 * gn[0] || !Number.isFinite(loss[i])) { explodeOnset = steps[i].step; break; }
  }
  let minVal = Infinity;
  let minValStep = -1;
  for (const v of vals) if (f(v.validationLoss) < minVal) { minVal = f(v.validationLoss); minValStep = v.step; }
  const lastVal = vals[vals.length - 1];

  let pathology = expect;
  let onset = 0;
  let why;
  switch (expect) {
    case 'vanishing-gradients': {
      const ratio = mean(firstLayer.slice(0, 50)) / mean(lastLayer.slice(0, 50));
      why = `first/last layer grad ratio ${ratio.toExponential(1)}, first layer ${mean(firstLayer.slice(0, 50)).toExponential(1)}`;
      if (!(ratio <= 1e-3)) pathology = 'healthy';
      break;
    }
    case 'exploding-gradients':
      onset = explodeOnset;
      why = `grad norm ${gn[0].toPrecision(3)} -> max ${Math.max(...gn.filter(Number.isFinite)).toPrecision(3)}, final ${finished.status}`;
      if (explodeOnset < 0) pathology = 'healthy';
      break;
    case 'bad-initialization': {
      const off = Math.abs(loss[0] - Math.log(C));
      // symmetric init: every hidden layer's gradient exactly 0 at every step and the loss at ln C
      // (within batch noise: the output bias still follows each batch's class mix)
      const hidden = layers.slice(0, -1);
      const dead = hidden.length > 0 && steps.every((s) => hidden.every((l) => f(s.layerGradientNorms[l]) === 0));
      const pinned = dead && Math.abs(mean(loss.slice(-100)) - Math.log(C)) < 0.02;
      why = `first loss ${loss[0].toPrecision(4)} vs ln(${C}) = ${Math.log(C).toFixed(4)}, hidden gradients all 0 and last-100 mean loss ${mean(loss.slice(-100)).toFixed(4)}: pinned ${pinned}`;
      if (!(off > 2 || pinned)) pathology = 'healthy';
      break;
    }
    case 'plateau':
    case 'underfitting':
      onset = levelOnset;
      why = `loss ${loss[0].toFixed(3)} -> tail mean ${tailMean.toFixed(3)}; val acc ${lastVal?.validationAccuracy?.toFixed(3)} train acc ${lastVal?.trainAccuracy?.toFixed(3)}`;
      break;
    case 'lr-decayed-too-early': {
      // the loss stays flat right after a decay step (decayed too early): the first decay (a rate <= 0.5x the one before) came while the loss
      // was still falling (its 20-step mean before the decay >= 5 % below the 20 steps before those) and the loss never
      // got far below where the decay left it (the last 150 steps' mean >= 0.7x the 20-step mean after the decay)
      const rates = steps.map((s) => f(s.learningRate));
      const d = rates.findIndex((r, i) => i > 0 && r <= 0.5 * rates[i - 1]);
      const before = d >= 40 ? mean(loss.slice(d - 20, d)) : NaN;
      const earlier = d >= 40 ? mean(loss.slice(d - 40, d - 20)) : NaN;
      const after = d >= 0 ? mean(loss.slice(d, d + 20)) : NaN;
      onset = d >= 0 ? steps[d].step : -1;
      why = `decay at ${onset} (${rates[d - 1]} -> ${rates[d]}); 20-step loss ${earlier.toFixed(3)} -> ${before.toFixed(3)} before it, ${after.toFixed(3)} after, tail mean ${tailMean.toFixed(3)} (${(tailMean / after).toFixed(2)}x)`;
      if (!(before <= 0.95 * earlier && tailMean >= 0.7 * after)) pathology = 'healthy';
      break;
    }
    case 'overfitting':
      onset = minValStep;
      why = `min val loss ${minVal.toFixed(3)} at ${minValStep}, last ${f(lastVal.validationLoss).toFixed(3)} (x${(f(lastVal.validationLoss) / minVal).toFixed(2)}); train loss ${f(lastVal.trainLoss).toFixed(3)}`;
      break;
    default:
      onset = -1;
      why = `loss ${loss[0].toFixed(3)} -> ${loss[loss.length - 1].toFixed(3)}; val loss min ${minVal.toFixed(3)} at ${minValStep}, last ${f(lastVal.validationLoss).toFixed(3)}; val acc ${lastVal.validationAccuracy?.toFixed(3)}`;
  }
  if (pathology === 'healthy') onset = -1;
  // acceptable co-diagnoses: divergence beside exploding gradients (as for the trainer's recordings), and
  // bad-initialization on any run whose first loss is > 2 away from ln C (the bad-initialization rule above)
  const allowedList = pathology === 'exploding-gradients' ? ['divergence'] : [];
  if (pathology !== 'bad-initialization' && Math.abs(loss[0] - Math.log(C)) > 2) allowedList.push('bad-initialization');
  // dead ReLUs: every hidden layer's gradient exactly 0 for >= 20 consecutive steps after some was non-zero, on a
  // run that did not start far from ln C (there it is the bad initialisation)
  const hiddenLayers = layers.slice(0, -1);
  let aliveSeen = false;
  let deadRun = 0;
  let deadLong = false;
  for (const s of steps) {
    const h = hiddenLayers.map((l) => f(s.layerGradientNorms[l]));
    if (h.length === 0 || !h.every(Number.isFinite)) continue;
    if (h.some((x) => x > 0)) { aliveSeen = true; deadRun = 0; } else if (aliveSeen && ++deadRun >= 20) deadLong = true;
  }
  if (deadLong && pathology !== 'vanishing-gradients' && pathology !== 'bad-initialization'
      && !(Math.abs(loss[0] - Math.log(C)) > 2)) allowedList.push('vanishing-gradients');
  const allowed = allowedList.join(';');
  console.log(`${file.padEnd(36)} ${pathology.padEnd(20)} onset ${String(onset).padStart(4)}  ${steps.length} steps, ${finished.status}; ${why}`);
  // the holdout (tfjs-ho-*, recorded after the detectors were tuned on the others) is its own source
  rows.push(`${file}.gz,${pathology},${onset},${allowed},${file.startsWith('tfjs-ho-') ? 'tfjs-holdout' : 'tfjs'}`);
}
console.log('\n' + rows.join('\n'));
if (process.argv.includes('--write')) {
  const fixtures = fileURLToPath(new URL('../../monitor-service/src/test/resources/fixtures/', import.meta.url));
  for (const row of rows) {
    const name = row.split(',')[0].replace(/\.gz$/, '');
    writeFileSync(`${fixtures}${name}.gz`, gzipSync(readFileSync(`${OUT}/${name}`), { level: 9 }));
  }
  // replace the rows of the sources written (tfjs and/or tfjs-holdout), keep every other row
  const sources = new Set(rows.map((r) => r.slice(r.lastIndexOf(',') + 1)));
  const kept = readFileSync(`${fixtures}labels.csv`, 'utf8').split('\n')
    .filter((l) => l && !sources.has(l.slice(l.lastIndexOf(',') + 1)));
  writeFileSync(`${fixtures}labels.csv`, [...kept, ...rows].join('\n') + '\n');
  console.log(`wrote ${rows.length} fixtures to ${fixtures}`);
}
