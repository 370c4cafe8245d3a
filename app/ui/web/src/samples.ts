// Bundled sample images (hashed by Vite), so that a friend who opens the link sees the model work at once.
import receipt from '../samples/receipt.png';
import shopSign from '../samples/shop-sign.jpg';
import slide from '../samples/slide.png';

export interface Sample {
  id: string;
  title: string;
  url: string;
  fileName: string;
}

export const SAMPLES: readonly Sample[] = [
  { id: 'shop-sign', title: 'Shop sign', url: shopSign, fileName: 'shop-sign.jpg' },
  { id: 'receipt', title: 'Receipt', url: receipt, fileName: 'receipt.png' },
  { id: 'slide', title: 'Slide', url: slide, fileName: 'slide.png' },
];
