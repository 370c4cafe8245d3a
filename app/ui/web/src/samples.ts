// Bundled sample images (hashed by Vite), so that a friend who opens the link sees the model work at once.
import receipt from '../samples/receipt.png';
import shopSign from '../samples/shop-sign.jpg';
import slide from '../samples/slide.png';

export interface Sample {
  id: string;
  title: string;
  url: string;
  fileName: string;
  /** Where the file is in the repository: "copy as curl" names it, so the command runs from a clone's root. */
  repoPath: string;
}

const repoPath = (fileName: string) => `app/ui/web/samples/${fileName}`;

export const SAMPLES: readonly Sample[] = [
  {
    id: 'shop-sign',
    title: 'Shop sign',
    url: shopSign,
    fileName: 'shop-sign.jpg',
    repoPath: repoPath('shop-sign.jpg'),
  },
  {
    id: 'receipt',
    title: 'Receipt',
    url: receipt,
    fileName: 'receipt.png',
    repoPath: repoPath('receipt.png'),
  },
  { id: 'slide', title: 'Slide', url: slide, fileName: 'slide.png', repoPath: repoPath('slide.png') },
];
