import { expect, test } from 'vitest'
import type { CategoryNode } from '../../api/types'
import { flatten, pathTo } from './api'

const node = (id: number, name: string, children: CategoryNode[] = []): CategoryNode => ({ id, name, slug: name.toLowerCase(), parent_id: null, children })
const tree = [node(1, 'Movies', [node(2, 'Action', [node(3, 'War')]), node(4, 'Comedy')]), node(5, 'Books')]

test('flatten lists the tree in order with depths', () => {
  expect(flatten(tree).map(({ node, depth }) => `${depth}:${node.name}`)).toEqual(['0:Movies', '1:Action', '2:War', '1:Comedy', '0:Books'])
})

test('pathTo gives the breadcrumb from the root, empty for an unknown id', () => {
  expect(pathTo(tree, 3).map((c) => c.name)).toEqual(['Movies', 'Action', 'War'])
  expect(pathTo(tree, 99)).toEqual([])
})
