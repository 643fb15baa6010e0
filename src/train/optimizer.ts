// Parameter updates. Written out rather than taken from tf.train so that the gradient scale from
// clipping folds into the update (no second pass over the gradients) and the rules match PyTorch's
// torch.optim.SGD / Adam, which the reference uses.
//
//   sgd        v ← μ·v + g (when momentum μ > 0);  θ ← θ − lr·v   (μ = 0: θ ← θ − lr·g)
//   adam       m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − lr·m̂ / (√v̂ + ε),
//              m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), β₁ = 0.9, β₂ = 0.999, ε = 1e-8

import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/types.js';

export interface Optimizer {
  /** Updates every variable from its gradient, taken as scale·grads[i] (scale: from clipping). */
  step(variables: tf.Variable[], grads: tf.Tensor[], lr: number, scale: number): void;
  dispose(): void;
}

/** Optimizer state shaped like a parameter (the tidy frees the zeros the variable copies). */
function zerosVariable(like: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zerosLike(like), false));
}

class Sgd implements Optimizer {
  private velocity: tf.Variable[] = [];
  constructor(private readonly momentum: number) {}

  step(variables: tf.Variable[], grads: tf.Tensor[], lr: number, scale: number): void {
    if (this.momentum > 0 && this.velocity.length === 0) {
      this.velocity = variables.map((v) => zerosVariable(v));
    }
    tf.tidy(() => {
      variables.forEach((v, i) => {
        const g = tf.mul(grads[i] as tf.Tensor, scale);
        let direction: tf.Tensor = g;
        if (this.momentum > 0) {
          const vel = this.velocity[i] as tf.Variable;
          vel.assign(tf.add(tf.mul(vel, this.momentum), g));
          direction = vel;
        }
        v.assign(tf.sub(v, tf.mul(direction, lr)));
      });
    });
  }

  dispose(): void {
    this.velocity.forEach((v) => v.dispose());
  }
}

class Adam implements Optimizer {
  private readonly beta1 = 0.9;
  private readonly beta2 = 0.999;
  private readonly epsilon = 1e-8;
  private t = 0;
  private m: tf.Variable[] = [];
  private v: tf.Variable[] = [];

  step(variables: tf.Variable[], grads: tf.Tensor[], lr: number, scale: number): void {
    if (this.t === 0) {
      this.m = variables.map((p) => zerosVariable(p));
      this.v = variables.map((p) => zerosVariable(p));
    }
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      variables.forEach((p, i) => {
        const g = tf.mul(grads[i] as tf.Tensor, scale);
        const m = this.m[i] as tf.Variable;
        const v = this.v[i] as tf.Variable;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const mHat = tf.div(m, c1);
        const vHat = tf.div(v, c2);
        p.assign(tf.sub(p, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), lr)));
      });
    });
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((x) => x.dispose());
  }
}

export function createOptimizer(train: Pick<TrainConfig, 'optimizer' | 'momentum'>): Optimizer {
  return train.optimizer === 'adam' ? new Adam() : new Sgd(train.momentum);
}
