import { useState } from 'react'

/**
 * A product's picture at a fixed 4:3 shape (the page does not move while it loads), loaded lazily;
 * a neutral placeholder with the name's first letter where a product has none or it fails to load.
 */
export function ProductImage({ product, size }: { product: { name: string; image_url?: string | null }; size: 'thumb' | 'card' | 'page' }) {
  const [failed, setFailed] = useState<string | null>(null)
  const [width, height] = size === 'page' ? [640, 480] : size === 'card' ? [320, 240] : [64, 48]
  const shape = size === 'thumb' ? 'w-16 rounded' : 'w-full rounded-box'
  const url = product.image_url
  if (!url || failed === url) {
    return (
      <div
        role="img"
        aria-label={`${product.name}: no picture`}
        data-testid="no-picture"
        className={`${shape} flex aspect-[4/3] select-none items-center justify-center bg-base-200 text-base-content/25 ${size === 'thumb' ? 'text-lg' : 'text-5xl'}`}
      >
        {product.name.trim().charAt(0).toUpperCase()}
      </div>
    )
  }
  return (
    <img
      src={url}
      alt={product.name}
      width={width}
      height={height}
      loading={size === 'page' ? 'eager' : 'lazy'}
      decoding="async"
      onError={() => setFailed(url)}
      className={`${shape} aspect-[4/3] bg-base-200 object-cover`}
    />
  )
}
