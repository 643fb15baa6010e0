// The learning rate of each epoch (1-based), held for the whole epoch.
//
//   constant  lr
//   step      lr · γ^⌊(epoch−1) / lr_step_epochs⌋
//   cosine    lr_min + (lr − lr_min)·(1 + cos(π·(epoch−1)/(epochs−1)))/2: lr at the first epoch,
//             lr_min at the last

import type { TrainConfig } from '../config/types.js';

export type ScheduleConfig = Pick<TrainConfig, 'lr' | 'lr_schedule' | 'lr_step_epochs' | 'lr_gamma' | 'lr_min' | 'epochs'>;

export function learningRate(train: ScheduleConfig, epoch: number): number {
  switch (train.lr_schedule) {
    case 'constant':
      return train.lr;
    case 'step':
      return train.lr * train.lr_gamma ** Math.floor((epoch - 1) / train.lr_step_epochs);
    case 'cosine': {
      if (train.epochs <= 1) return train.lr;
      const progress = (epoch - 1) / (train.epochs - 1);
      return train.lr_min + ((train.lr - train.lr_min) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}
